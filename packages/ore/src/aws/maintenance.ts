import { InputError } from '@mantle/core/errors';
import { DAY_WEEK_UNITS_MS, parseGoDuration } from '@mantle/core/time';
import type { Logger } from '@mantle/core/log';
import { awsError, awsErrorCode, type AwsClients } from './clients.js';
import { deleteImage, listImages, listSnapshots } from './images.js';
import { MANTLE_TAG } from './tags.js';

/** What `ore aws gc` removed. */
export interface AwsGcResult {
  region: string;
  olderThan: string;
  images: { imageId: string; name: string; created: string }[];
  snapshots: string[];
}

/** Parse a duration like 90s, 30m, 5h, 2d, 1w (or Go's 1h30m); exit 2 naming the flag otherwise. */
export function parseDuration(text: string, flag = '--older-than'): number {
  const ms = parseGoDuration(text, { extraUnitsMs: DAY_WEEK_UNITS_MS });
  if (ms === undefined || ms < 0) {
    throw new InputError({
      code: 'BAD_DURATION',
      message: `${flag} ${JSON.stringify(text)} is not a duration`,
      hint: 'write it like 90s, 30m, 5h, 2d or 1h30m',
      details: { flag, value: text },
    });
  }
  return ms;
}

/**
 * Garbage-collect what ore made (tag CreatedBy=mantle) and is older than `olderThanMs`: images
 * are deregistered with their snapshots, then orphaned snapshots are deleted.
 */
export async function gcAws(
  clients: AwsClients,
  opts: { olderThanMs: number; olderThan: string; now?: Date; dryRun?: boolean; logger?: Logger },
): Promise<AwsGcResult> {
  const cutoff = (opts.now ?? new Date()).getTime() - opts.olderThanMs;
  const out: AwsGcResult = { region: clients.region, olderThan: opts.olderThan, images: [], snapshots: [] };
  const used = new Set<string>();
  for (const img of await listImages(clients, { tags: MANTLE_TAG })) {
    if (Date.parse(img.created) >= cutoff) {
      if (img.snapshotId) used.add(img.snapshotId);
      continue;
    }
    if (!opts.dryRun) await deleteImage(clients, img, opts.logger);
    out.images.push({ imageId: img.imageId, name: img.name, created: img.created });
    if (img.snapshotId) out.snapshots.push(img.snapshotId);
  }
  const { sdk, client } = await clients.ec2();
  for (const s of await listSnapshots(clients, MANTLE_TAG)) {
    if (used.has(s.snapshotId) || out.snapshots.includes(s.snapshotId) || s.started.getTime() >= cutoff)
      continue;
    try {
      if (!opts.dryRun) await client.send(new sdk.DeleteSnapshotCommand({ SnapshotId: s.snapshotId }));
      opts.logger?.info(`${opts.dryRun ? 'would delete' : 'deleted'} snapshot ${s.snapshotId}`);
      out.snapshots.push(s.snapshotId);
    } catch (err) {
      // another image (not ours) may use it: keep it, say so
      if (awsErrorCode(err) === 'InvalidSnapshot.InUse')
        opts.logger?.warn(`snapshot ${s.snapshotId} is in use, kept`);
      else throw awsError(err, { clients, what: `deleting ${s.snapshotId}` });
    }
  }
  return out;
}

/** The trust policy that lets VM Import/Export assume the vmimport role. */
const VMIMPORT_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'vmie.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'vmimport' } },
    },
  ],
});

function vmimportPolicy(bucket: string, partition = 'aws'): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:GetObject'],
        Resource: [`arn:${partition}:s3:::${bucket}`, `arn:${partition}:s3:::${bucket}/*`],
      },
      {
        Effect: 'Allow',
        Action: ['ec2:ModifySnapshotAttribute', 'ec2:CopySnapshot', 'ec2:RegisterImage', 'ec2:Describe*'],
        Resource: '*',
      },
    ],
  });
}

/**
 * The vmimport role ImportSnapshot needs, with a policy named after the bucket (mantle's
 * convention: one policy per regional bucket). Existing ones are kept. Returns what was created.
 */
export async function ensureImportRole(
  clients: AwsClients,
  bucket: string,
  logger?: Logger,
): Promise<string[]> {
  const { sdk, client } = await clients.iam();
  const created: string[] = [];
  const missing = (err: unknown): boolean => awsErrorCode(err) === 'NoSuchEntity';
  try {
    await client.send(new sdk.GetRoleCommand({ RoleName: 'vmimport' })).catch(async (err: unknown) => {
      if (!missing(err)) throw err;
      await client.send(
        new sdk.CreateRoleCommand({ RoleName: 'vmimport', AssumeRolePolicyDocument: VMIMPORT_TRUST }),
      );
      created.push('role vmimport');
      logger?.info('created IAM role vmimport');
    });
    await client
      .send(new sdk.GetRolePolicyCommand({ RoleName: 'vmimport', PolicyName: bucket }))
      .catch(async (err: unknown) => {
        if (!missing(err)) throw err;
        const partition = clients.region.startsWith('cn-')
          ? 'aws-cn'
          : clients.region.startsWith('us-gov-')
            ? 'aws-us-gov'
            : 'aws';
        await client.send(
          new sdk.PutRolePolicyCommand({
            RoleName: 'vmimport',
            PolicyName: bucket,
            PolicyDocument: vmimportPolicy(bucket, partition),
          }),
        );
        created.push(`policy ${bucket}`);
        logger?.info(`put role policy ${bucket} on vmimport`);
      });
  } catch (err) {
    throw awsError(err, { clients, what: 'setting up the vmimport role' });
  }
  return created;
}

/** Create the S3 bucket uploads go through (in the clients' region); an existing one of ours is fine. */
export async function ensureBucket(clients: AwsClients, bucket: string, logger?: Logger): Promise<boolean> {
  const { sdk, client } = await clients.s3();
  // A bucket we can HEAD is ours to use (CreateBucket answers differently for "already yours"
  // across S3 implementations).
  const exists = await client.send(new sdk.HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    (err: unknown) => {
      if (['NotFound', 'NoSuchBucket'].includes(awsErrorCode(err) ?? '')) return false;
      throw awsError(err, { clients, what: `looking up bucket ${bucket}` });
    },
  );
  if (exists && !clients.options.dryRun) return false;
  try {
    await client.send(
      new sdk.CreateBucketCommand({
        Bucket: bucket,
        ...(clients.region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: clients.region as 'eu-central-1' } }),
      }),
    );
    logger?.info(`created bucket s3://${bucket} in ${clients.region}`);
    return true;
  } catch (err) {
    if (awsErrorCode(err) === 'BucketAlreadyOwnedByYou') return false;
    throw awsError(err, { clients, what: `creating bucket ${bucket}` });
  }
}
