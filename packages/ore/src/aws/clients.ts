import { InputError, OperationError, PrerequisiteError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { AwsCredentials } from '@mantle/core/profiles';
import type { DryRun } from '../cloud/dry-run.js';
import { quietAwsSdkNodeNotice } from '../cloud/sdk-warnings.js';

// The AWS SDK clients ore uses, made from a credential profile, for one region, with optional
// endpoint overrides (AWS_ENDPOINT_URL_<SERVICE>, the SDK's own convention: local servers in
// tests, VPC endpoints in locked-down accounts). Throttling is retried by the SDK's adaptive
// retry mode with backoff. The SDKs are imported on first use: `ore --help` never loads them.

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
type EbsSdk = typeof import('@aws-sdk/client-ebs');
type IamSdk = typeof import('@aws-sdk/client-iam');
type S3Sdk = typeof import('@aws-sdk/client-s3');

/** The AWS services ore talks to. */
export type AwsService = 'ec2' | 'ebs' | 'iam' | 's3';

export interface AwsClientOptions {
  region: string;
  credentials: Pick<AwsCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'> & {
    profile?: string;
  };
  endpoints?: Partial<Record<AwsService, string>>;
  /** record calls instead of sending them */
  dryRun?: DryRun;
  logger?: Logger;
  /** attempts per call including retries of throttling and network errors (default 8) */
  maxAttempts?: number;
}

/** Lazily made clients of one region; `sdk` gives the command classes. */
export interface AwsClients {
  region: string;
  profile: string | undefined;
  ec2(): Promise<{ sdk: Ec2Sdk; client: InstanceType<Ec2Sdk['EC2Client']> }>;
  ebs(): Promise<{ sdk: EbsSdk; client: InstanceType<EbsSdk['EBSClient']> }>;
  iam(): Promise<{ sdk: IamSdk; client: InstanceType<IamSdk['IAMClient']> }>;
  s3(): Promise<{ sdk: S3Sdk; client: InstanceType<S3Sdk['S3Client']> }>;
  /** the same credentials for another region (copy-image) */
  forRegion(region: string): AwsClients;
  /** the options the clients were made with (for S3 stores) */
  options: AwsClientOptions;
  destroy(): void;
}

/** Read AWS_ENDPOINT_URL_EC2/_EBS/_IAM/_S3 (and AWS_ENDPOINT_URL for all) from an environment. */
export function awsEndpointsFromEnv(env: NodeJS.ProcessEnv): Partial<Record<AwsService, string>> {
  const out: Partial<Record<AwsService, string>> = {};
  for (const s of ['ec2', 'ebs', 'iam', 's3'] as const) {
    const v = env[`AWS_ENDPOINT_URL_${s.toUpperCase()}`] ?? env.AWS_ENDPOINT_URL;
    if (v) out[s] = v;
  }
  return out;
}

/** A region name shaped like AWS's (us-east-1, us-gov-west-1, eu-central-2); else exit 2. */
export function checkRegionName(region: string): string {
  if (/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) return region;
  throw new InputError({
    code: 'AWS_BAD_REGION',
    message: `--region ${JSON.stringify(region)} is not an AWS region name`,
    hint: 'use a region like us-east-1 (ore aws list-regions lists them)',
    details: { flag: '--region', value: region },
  });
}

/** Make the clients (nothing is loaded or contacted until a client is first asked for). */
export function awsClients(opts: AwsClientOptions): AwsClients {
  quietAwsSdkNodeNotice();
  const made: { destroy(): void }[] = [];
  const common = (service: AwsService): Record<string, unknown> => ({
    region: opts.region,
    credentials: {
      accessKeyId: opts.credentials.accessKeyId,
      secretAccessKey: opts.credentials.secretAccessKey,
      ...(opts.credentials.sessionToken ? { sessionToken: opts.credentials.sessionToken } : {}),
    },
    maxAttempts: opts.maxAttempts ?? 8,
    retryMode: 'adaptive',
    ...(opts.endpoints?.[service] ? { endpoint: opts.endpoints[service] } : {}),
  });
  const lazy = <T>(make: () => Promise<T>): (() => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= make());
  };
  const withDryRun = <C extends { middlewareStack: { add: (...a: never[]) => void } }>(
    client: C,
    service: string,
  ): C => {
    if (opts.dryRun) addDryRun(client, service, opts.dryRun, opts.region);
    made.push(client as unknown as { destroy(): void });
    return client;
  };
  return {
    region: opts.region,
    profile: opts.credentials.profile,
    options: opts,
    ec2: lazy(async () => {
      const sdk = await import('@aws-sdk/client-ec2');
      return { sdk, client: withDryRun(new sdk.EC2Client(common('ec2')), 'EC2') };
    }),
    ebs: lazy(async () => {
      const sdk = await import('@aws-sdk/client-ebs');
      return { sdk, client: withDryRun(new sdk.EBSClient(common('ebs')), 'EBS') };
    }),
    iam: lazy(async () => {
      const sdk = await import('@aws-sdk/client-iam');
      // IAM is global: its endpoint lives in us-east-1 (for the aws partition)
      return { sdk, client: withDryRun(new sdk.IAMClient({ ...common('iam'), region: 'us-east-1' }), 'IAM') };
    }),
    s3: lazy(async () => {
      const sdk = await import('@aws-sdk/client-s3');
      // a custom endpoint (s3rver, MinIO) takes path-style requests
      const c = new sdk.S3Client({
        ...common('s3'),
        ...(opts.endpoints?.s3 ? { forcePathStyle: true } : {}),
      });
      return { sdk, client: withDryRun(c, 'S3') };
    }),
    forRegion: (region) => awsClients({ ...opts, region }),
    destroy: () => {
      for (const c of made) c.destroy();
    },
  };
}

// What a dry run answers in place of AWS: empty listings, placeholder ids for what would be made.
function dryAnswer(op: string, input: Record<string, unknown>, region: string): Record<string, unknown> {
  switch (op) {
    case 'StartSnapshotCommand':
      return { SnapshotId: 'snap-dryrun', BlockSize: 524288, Status: 'pending' };
    case 'CompleteSnapshotCommand':
      return { Status: 'completed' };
    case 'RegisterImageCommand':
      return { ImageId: 'ami-dryrun' };
    case 'CopyImageCommand':
      return { ImageId: `ami-dryrun-${region}` };
    case 'ImportSnapshotCommand':
      return { ImportTaskId: 'import-snap-dryrun' };
    case 'DescribeImportSnapshotTasksCommand':
      return input.ImportTaskIds
        ? {
            ImportSnapshotTasks: [
              {
                ImportTaskId: 'import-snap-dryrun',
                SnapshotTaskDetail: { Status: 'completed', SnapshotId: 'snap-dryrun' },
              },
            ],
          }
        : { ImportSnapshotTasks: [] };
    case 'DescribeSnapshotsCommand':
      return input.SnapshotIds
        ? {
            Snapshots: (input.SnapshotIds as string[]).map((id) => ({
              SnapshotId: id,
              State: 'completed',
              Tags: [],
            })),
          }
        : { Snapshots: [] };
    case 'DescribeImagesCommand':
      return input.ImageIds
        ? {
            Images: (input.ImageIds as string[]).map((id) => ({
              ImageId: id,
              Name: 'dryrun',
              State: 'available',
              BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-dryrun' } }],
              Tags: [],
            })),
          }
        : { Images: [] };
    case 'DescribeRegionsCommand':
      return { Regions: [{ RegionName: region }] };
    case 'DescribeImageAttributeCommand':
      return { LaunchPermissions: [] };
    default:
      return {};
  }
}

function addDryRun(
  client: { middlewareStack: { add: (...a: never[]) => void } },
  service: string,
  dry: DryRun,
  region: string,
): void {
  const mw =
    (_next: unknown, context: { commandName?: string }) => (args: { input: Record<string, unknown> }) => {
      const op = context.commandName ?? 'Unknown';
      dry.record(service, op.replace(/Command$/, ''), args.input);
      return Promise.resolve({
        output: { $metadata: {}, ...dryAnswer(op, args.input, region) },
        response: {},
      });
    };
  (client.middlewareStack.add as unknown as (m: unknown, o: unknown) => void)(mw, {
    step: 'initialize',
    name: 'oreDryRun',
    priority: 'high',
  });
}

/** Error codes that mean the credentials (or their rights) are the problem. */
const AUTH_CODES = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'AccessDeniedException',
  'AccessDenied',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'OptInRequired',
]);

/** The service's error code of an SDK error. */
export function awsErrorCode(err: unknown): string | undefined {
  const e = err as { name?: string; Code?: string; code?: string; __type?: string };
  return e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code;
}

/**
 * Turn an SDK error into a MantleError: rejected credentials are exit 3 naming the profile and
 * region; a missing bucket is exit 2 pointing at `ore aws initialize`; the rest exit 1 with the
 * service's code and message.
 */
export function awsError(
  err: unknown,
  ctx: { clients: Pick<AwsClients, 'profile' | 'region'>; what: string },
): Error {
  if (err instanceof InputError || err instanceof PrerequisiteError || err instanceof OperationError)
    return err;
  if ((err as { name?: string }).name === 'AbortError') return err as Error;
  const code = awsErrorCode(err);
  const message = (err as Error).message ?? String(err);
  const profile = ctx.clients.profile ?? 'default';
  if (code && AUTH_CODES.has(code)) {
    return new PrerequisiteError({
      code: 'AWS_AUTH',
      message: `AWS refused ${ctx.what} for profile "${profile}" in ${ctx.clients.region} (${code}): ${message}`,
      hint: `check the keys of profile "${profile}" (ore profiles list -p aws) and its rights; --aws-profile picks another`,
      cause: err,
      details: { profile, region: ctx.clients.region, code },
    });
  }
  if (code === 'NoSuchBucket') {
    return new InputError({
      code: 'AWS_BUCKET_NOT_FOUND',
      message: `${ctx.what}: the S3 bucket does not exist (${message})`,
      hint: 'create it (and the vmimport role) with `ore aws initialize --bucket s3://NAME`, or pass --bucket',
      cause: err,
    });
  }
  return new OperationError({
    code: 'AWS_REQUEST_FAILED',
    message: `${ctx.what} failed${code ? ` (${code})` : ''}: ${message}`,
    cause: err,
    details: { region: ctx.clients.region, ...(code ? { awsCode: code } : {}) },
  });
}
