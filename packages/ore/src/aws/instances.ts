import { InputError, PrerequisiteError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { pollUntil } from '../cloud/wait.js';
import { awsError, awsErrorCode, type AwsClients } from './clients.js';
import { MANTLE_TAG, tagList, tagMap } from './tags.js';

// EC2 instances and what they need (security groups, key pairs): the layer kola's aws platform
// creates machines with, and `ore aws gc` sweeps. Every call maps EC2's error codes onto
// MantleErrors that name the flag behind the bad value.

/** An instance as kola sees it. */
export interface AwsInstance {
  instanceId: string;
  state: string;
  imageId: string;
  instanceType: string;
  publicIp: string | undefined;
  privateIp: string | undefined;
  launchTime: Date | undefined;
  securityGroupIds: string[];
  keyName: string | undefined;
  tags: Record<string, string>;
}

export interface RunInstanceOptions {
  imageId: string;
  instanceType: string;
  /** the user data as text (Ignition JSON); base64-encoded here, as EC2 wants it */
  userData: string;
  /** tags of the instance and its volumes */
  tags: Record<string, string>;
  securityGroupIds?: string[];
  subnetId?: string;
  keyName?: string;
  iamInstanceProfile?: string;
  /** makes a retried RunInstances return the first call's instance instead of a second one */
  clientToken?: string;
}

/** The quota and capacity errors: retrying them only makes more failing calls. */
const QUOTA_CODES = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'InsufficientInstanceCapacity',
  'InsufficientAddressCapacity',
  'MaxSpotInstanceCountExceeded',
  'ResourceLimitExceeded',
  'SecurityGroupLimitExceeded',
  'RulesPerSecurityGroupLimitExceeded',
  'KeyPairLimitExceeded',
]);

/** A quota error is a missing prerequisite (exit 3): no run can go on without capacity. */
export function isAwsQuotaError(err: unknown): boolean {
  return QUOTA_CODES.has(awsErrorCode(err) ?? '');
}

function quotaError(err: unknown, clients: AwsClients, what: string): PrerequisiteError {
  return new PrerequisiteError({
    code: 'AWS_QUOTA',
    message: `${what}: EC2 refused for lack of quota or capacity in ${clients.region} (${awsErrorCode(err) ?? ''}): ${(err as Error).message}`,
    hint: 'terminate unused instances (ore aws gc), run fewer tests at once (-j), pick another --aws-type or region, or ask AWS for a higher limit',
    cause: err,
    details: { region: clients.region, awsCode: awsErrorCode(err) },
  });
}

/** RunInstances for one instance; returns its id. Bad image, type or quota: a typed error. */
export async function runInstance(clients: AwsClients, o: RunInstanceOptions): Promise<string> {
  const { sdk, client } = await clients.ec2();
  const tags = tagList({ ...MANTLE_TAG, ...o.tags });
  try {
    const r = await client.send(
      new sdk.RunInstancesCommand({
        ImageId: o.imageId,
        InstanceType: o.instanceType as never,
        MinCount: 1,
        MaxCount: 1,
        UserData: Buffer.from(o.userData, 'utf8').toString('base64'),
        ...(o.securityGroupIds?.length ? { SecurityGroupIds: o.securityGroupIds } : {}),
        ...(o.subnetId ? { SubnetId: o.subnetId } : {}),
        ...(o.keyName ? { KeyName: o.keyName } : {}),
        ...(o.iamInstanceProfile ? { IamInstanceProfile: { Name: o.iamInstanceProfile } } : {}),
        ...(o.clientToken ? { ClientToken: o.clientToken } : {}),
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
        ],
      }),
    );
    const id = r.Instances?.[0]?.InstanceId;
    if (!id) throw new Error('RunInstances returned no instance');
    return id;
  } catch (err) {
    throw instanceError(err, clients, o);
  }
}

function instanceError(err: unknown, clients: AwsClients, o: RunInstanceOptions): Error {
  const code = awsErrorCode(err) ?? '';
  const message = (err as Error).message ?? String(err);
  if (code.startsWith('InvalidAMIID')) {
    return new InputError({
      code: 'AWS_IMAGE_NOT_FOUND',
      message: `--aws-ami ${o.imageId}: no such image in ${clients.region} (${code})`,
      hint: 'pass an AMI id of this region (ore aws list-images lists ours; ore aws copy-image copies one here)',
      cause: err,
      details: { flag: '--aws-ami', value: o.imageId, region: clients.region },
    });
  }
  if (
    code === 'InvalidInstanceType' ||
    (code === 'InvalidParameterValue' && /instance ?type/i.test(message))
  ) {
    return new InputError({
      code: 'AWS_BAD_INSTANCE_TYPE',
      message: `--aws-type ${o.instanceType}: EC2 does not offer it in ${clients.region} (${message})`,
      hint: 'pick an instance type the region offers, e.g. m5.large or t3.medium',
      cause: err,
      details: { flag: '--aws-type', value: o.instanceType, region: clients.region },
    });
  }
  if (isAwsQuotaError(err)) return quotaError(err, clients, `starting a ${o.instanceType} instance`);
  return awsError(err, { clients, what: `starting a ${o.instanceType} instance of ${o.imageId}` });
}

/** Check the image exists in the region before anything is created (exit 2 when it does not). */
export async function requireImage(clients: AwsClients, imageId: string): Promise<{ architecture: string }> {
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) {
    throw new InputError({
      code: 'AWS_IMAGE_NOT_FOUND',
      message: `--aws-ami ${JSON.stringify(imageId)} is not an AMI id (ami- and 8 or 17 hex digits)`,
      hint: 'pass the id of an image, e.g. from ore aws upload or ore aws list-images',
      details: { flag: '--aws-ami', value: imageId },
    });
  }
  const { sdk, client } = await clients.ec2();
  try {
    const r = await client.send(new sdk.DescribeImagesCommand({ ImageIds: [imageId] }));
    const img = r.Images?.[0];
    if (img) return { architecture: img.Architecture ?? 'x86_64' };
  } catch (err) {
    if (!(awsErrorCode(err) ?? '').startsWith('InvalidAMIID'))
      throw awsError(err, { clients, what: `looking up ${imageId}` });
  }
  throw instanceError(
    Object.assign(new Error(`image ${imageId} not found`), { Code: 'InvalidAMIID.NotFound' }),
    clients,
    {
      imageId,
      instanceType: '',
      userData: '',
      tags: {},
    },
  );
}

/** Check the region offers the instance type (exit 2 naming --aws-type when it does not). */
export async function requireInstanceType(clients: AwsClients, instanceType: string): Promise<void> {
  const { sdk, client } = await clients.ec2();
  try {
    const r = await client.send(
      new sdk.DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as never] }),
    );
    if ((r.InstanceTypes ?? []).some((t) => t.InstanceType === instanceType)) return;
    throw Object.assign(new Error(`instance type ${instanceType} is not offered`), {
      Code: 'InvalidInstanceType',
    });
  } catch (err) {
    const code = awsErrorCode(err) ?? '';
    if (code === 'InvalidInstanceType' || code === 'InvalidParameterValue')
      throw instanceError(Object.assign(err as Error, { Code: 'InvalidInstanceType' }), clients, {
        imageId: '',
        instanceType,
        userData: '',
        tags: {},
      });
    throw awsError(err, { clients, what: `looking up instance type ${instanceType}` });
  }
}

function toInstance(i: {
  InstanceId?: string | undefined;
  State?: { Name?: string | undefined } | undefined;
  ImageId?: string | undefined;
  InstanceType?: string | undefined;
  PublicIpAddress?: string | undefined;
  PrivateIpAddress?: string | undefined;
  LaunchTime?: Date | undefined;
  SecurityGroups?: { GroupId?: string | undefined }[] | undefined;
  KeyName?: string | undefined;
  Tags?: { Key?: string | undefined; Value?: string | undefined }[] | undefined;
}): AwsInstance {
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    imageId: i.ImageId ?? '',
    instanceType: i.InstanceType ?? '',
    publicIp: i.PublicIpAddress,
    privateIp: i.PrivateIpAddress,
    launchTime: i.LaunchTime,
    securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
    keyName: i.KeyName,
    tags: tagMap(i.Tags),
  };
}

/** DescribeInstances by ids and/or tags (terminated ones left out unless asked for). */
export async function describeInstances(
  clients: AwsClients,
  q: { ids?: string[]; tags?: Record<string, string>; includeTerminated?: boolean },
): Promise<AwsInstance[]> {
  const { sdk, client } = await clients.ec2();
  const filters = Object.entries(q.tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));
  const out: AwsInstance[] = [];
  let token: string | undefined;
  try {
    do {
      const r = await client.send(
        new sdk.DescribeInstancesCommand({
          ...(q.ids ? { InstanceIds: q.ids } : {}),
          ...(filters.length ? { Filters: filters } : {}),
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const res of r.Reservations ?? []) for (const i of res.Instances ?? []) out.push(toInstance(i));
      token = r.NextToken;
    } while (token);
  } catch (err) {
    throw awsError(err, { clients, what: 'describing instances' });
  }
  return q.includeTerminated ? out : out.filter((i) => i.state !== 'terminated');
}

/** Wait until an instance is running (polled with backoff); a terminated one is an error. */
export async function waitInstanceRunning(
  clients: AwsClients,
  instanceId: string,
  opts: { timeoutMs?: number; signal?: AbortSignal; initialMs?: number } = {},
): Promise<AwsInstance> {
  return pollUntil(
    async () => {
      const [i] = await describeInstances(clients, { ids: [instanceId], includeTerminated: true });
      if (!i) return undefined;
      if (i.state === 'running') return i;
      if (i.state === 'terminated' || i.state === 'shutting-down') {
        throw awsError(
          Object.assign(new Error(`instance ${instanceId} is ${i.state} before it ran`), {
            Code: 'InstanceTerminated',
          }),
          { clients, what: `waiting for ${instanceId}` },
        );
      }
      return undefined;
    },
    {
      what: `instance ${instanceId} to run`,
      initialMs: opts.initialMs ?? 2000,
      maxMs: 10_000,
      timeoutMs: opts.timeoutMs ?? 10 * 60_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
}

/** GetConsoleOutput, decoded ('' when EC2 has none yet). */
export async function getConsoleOutput(clients: AwsClients, instanceId: string): Promise<string> {
  const { sdk, client } = await clients.ec2();
  try {
    const r = await client.send(new sdk.GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true }));
    return r.Output ? Buffer.from(r.Output, 'base64').toString('utf8') : '';
  } catch (err) {
    throw awsError(err, { clients, what: `reading the console of ${instanceId}` });
  }
}

/** TerminateInstances; ids that are already gone are not an error. */
export async function terminateInstances(clients: AwsClients, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const { sdk, client } = await clients.ec2();
  try {
    await client.send(new sdk.TerminateInstancesCommand({ InstanceIds: ids }));
  } catch (err) {
    if (awsErrorCode(err) === 'InvalidInstanceID.NotFound' && ids.length === 1) return;
    if (awsErrorCode(err) === 'InvalidInstanceID.NotFound') {
      for (const id of ids) await terminateInstances(clients, [id]);
      return;
    }
    throw awsError(err, { clients, what: `terminating ${ids.join(', ')}` });
  }
}

/** Wait until the instances are terminated (a security group can be deleted only then). */
export async function waitInstancesTerminated(
  clients: AwsClients,
  ids: string[],
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  if (ids.length === 0) return;
  await pollUntil(
    async () => {
      const left = await describeInstances(clients, { ids, includeTerminated: true }).catch(
        (err: unknown) => {
          if (awsErrorCode((err as { cause?: unknown }).cause) === 'InvalidInstanceID.NotFound') return [];
          throw err;
        },
      );
      return left.every((i) => i.state === 'terminated') ? true : undefined;
    },
    {
      what: `instances ${ids.join(', ')} to terminate`,
      initialMs: 1000,
      maxMs: 10_000,
      timeoutMs: opts.timeoutMs ?? 10 * 60_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
}

/** The default VPC of the region, or undefined when the account has none. */
export async function defaultVpc(clients: AwsClients): Promise<string | undefined> {
  const { sdk, client } = await clients.ec2();
  try {
    const r = await client.send(
      new sdk.DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }),
    );
    return r.Vpcs?.[0]?.VpcId;
  } catch (err) {
    throw awsError(err, { clients, what: 'looking up the default VPC' });
  }
}

/** A security group by id (sg-...) or name; undefined when there is none. */
export async function findSecurityGroup(
  clients: AwsClients,
  idOrName: string,
): Promise<{ groupId: string; name: string; tags: Record<string, string> } | undefined> {
  const groups = await listSecurityGroups(clients, {
    filters: [{ Name: idOrName.startsWith('sg-') ? 'group-id' : 'group-name', Values: [idOrName] }],
  });
  return groups[0];
}

/** Security groups matching tags or filters. */
export async function listSecurityGroups(
  clients: AwsClients,
  q: { tags?: Record<string, string>; filters?: { Name: string; Values: string[] }[] },
): Promise<{ groupId: string; name: string; tags: Record<string, string> }[]> {
  const { sdk, client } = await clients.ec2();
  const filters = [
    ...(q.filters ?? []),
    ...Object.entries(q.tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
  ];
  try {
    const r = await client.send(
      new sdk.DescribeSecurityGroupsCommand(filters.length ? { Filters: filters } : {}),
    );
    return (r.SecurityGroups ?? []).map((g) => ({
      groupId: g.GroupId ?? '',
      name: g.GroupName ?? '',
      tags: tagMap(g.Tags),
    }));
  } catch (err) {
    throw awsError(err, { clients, what: 'describing security groups' });
  }
}

/**
 * A security group for test machines: SSH (and ICMP) from `sshCidr`, and all traffic between
 * members, which is the private network of a cluster.
 */
export async function createSecurityGroup(
  clients: AwsClients,
  o: { name: string; description: string; vpcId?: string; tags: Record<string, string>; sshCidr?: string },
): Promise<string> {
  const { sdk, client } = await clients.ec2();
  let groupId: string;
  try {
    const r = await client.send(
      new sdk.CreateSecurityGroupCommand({
        GroupName: o.name,
        Description: o.description,
        ...(o.vpcId ? { VpcId: o.vpcId } : {}),
        TagSpecifications: [{ ResourceType: 'security-group', Tags: tagList({ ...MANTLE_TAG, ...o.tags }) }],
      }),
    );
    groupId = r.GroupId ?? '';
  } catch (err) {
    if (isAwsQuotaError(err)) throw quotaError(err, clients, `creating security group ${o.name}`);
    throw awsError(err, { clients, what: `creating security group ${o.name}` });
  }
  const cidr = o.sshCidr ?? '0.0.0.0/0';
  try {
    await client.send(
      new sdk.AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: cidr }] },
          { IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: cidr }] },
          { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] },
        ],
      }),
    );
  } catch (err) {
    throw awsError(err, { clients, what: `opening SSH in security group ${groupId}` });
  }
  return groupId;
}

/** DeleteSecurityGroup; a group that is gone already is fine. */
export async function deleteSecurityGroup(clients: AwsClients, groupId: string): Promise<void> {
  const { sdk, client } = await clients.ec2();
  try {
    await client.send(new sdk.DeleteSecurityGroupCommand({ GroupId: groupId }));
  } catch (err) {
    if (awsErrorCode(err) === 'InvalidGroup.NotFound') return;
    throw awsError(err, { clients, what: `deleting security group ${groupId}` });
  }
}

/** ImportKeyPair (the flight's public key), tagged; returns the key pair id. */
export async function importKeyPair(
  clients: AwsClients,
  o: { name: string; publicKey: string; tags: Record<string, string> },
): Promise<string> {
  const { sdk, client } = await clients.ec2();
  try {
    const r = await client.send(
      new sdk.ImportKeyPairCommand({
        KeyName: o.name,
        PublicKeyMaterial: Buffer.from(o.publicKey, 'utf8'),
        TagSpecifications: [{ ResourceType: 'key-pair', Tags: tagList({ ...MANTLE_TAG, ...o.tags }) }],
      }),
    );
    return r.KeyPairId ?? o.name;
  } catch (err) {
    if (isAwsQuotaError(err)) throw quotaError(err, clients, `importing key pair ${o.name}`);
    throw awsError(err, { clients, what: `importing key pair ${o.name}` });
  }
}

/** Key pairs matching tags. */
export async function listKeyPairs(
  clients: AwsClients,
  tags: Record<string, string>,
): Promise<{ keyPairId: string; name: string; created: Date | undefined; tags: Record<string, string> }[]> {
  const { sdk, client } = await clients.ec2();
  try {
    const r = await client.send(
      new sdk.DescribeKeyPairsCommand({
        Filters: Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
      }),
    );
    return (r.KeyPairs ?? []).map((k) => ({
      keyPairId: k.KeyPairId ?? '',
      name: k.KeyName ?? '',
      created: k.CreateTime,
      tags: tagMap(k.Tags),
    }));
  } catch (err) {
    throw awsError(err, { clients, what: 'describing key pairs' });
  }
}

/** DeleteKeyPair by id; one that is gone already is fine. */
export async function deleteKeyPair(clients: AwsClients, keyPairId: string): Promise<void> {
  const { sdk, client } = await clients.ec2();
  try {
    await client.send(new sdk.DeleteKeyPairCommand({ KeyPairId: keyPairId }));
  } catch (err) {
    if (awsErrorCode(err) === 'InvalidKeyPair.NotFound') return;
    throw awsError(err, { clients, what: `deleting key pair ${keyPairId}` });
  }
}

/** What a sweep of instances, security groups and key pairs removed. */
export interface AwsSweepResult {
  instances: string[];
  securityGroups: string[];
  keyPairs: string[];
}

/**
 * Delete the instances, security groups and key pairs carrying all of `tags` (a run's tags,
 * or CreatedBy=mantle for gc) for which `keep` says false: instances first (terminated and
 * waited for, as a group in use cannot be deleted), then groups, then key pairs.
 */
export async function sweepInstances(
  clients: AwsClients,
  o: {
    tags: Record<string, string>;
    /** extra ids to delete even if their tags were never written (a killed run's last create) */
    instanceIds?: string[];
    keep?: (r: { created: Date | undefined; tags: Record<string, string> }) => boolean;
    /** list what would go, delete nothing */
    dryRun?: boolean;
    logger?: Logger;
    signal?: AbortSignal;
  },
): Promise<AwsSweepResult> {
  const keep = o.keep ?? (() => false);
  const out: AwsSweepResult = { instances: [], securityGroups: [], keyPairs: [] };
  const tagged = await describeInstances(clients, { tags: o.tags });
  const byId = o.instanceIds?.length
    ? await describeInstances(clients, { ids: o.instanceIds }).catch(() => [])
    : [];
  const instances = [...new Map([...tagged, ...byId].map((i) => [i.instanceId, i])).values()].filter(
    (i) => !keep({ created: i.launchTime, tags: i.tags }),
  );
  const ids = instances.map((i) => i.instanceId);
  if (ids.length > 0 && !o.dryRun) {
    await terminateInstances(clients, ids);
    o.logger?.info(`terminating ${ids.join(', ')}`);
    await waitInstancesTerminated(clients, ids, o.signal ? { signal: o.signal } : {});
  }
  out.instances.push(...ids);
  // Groups and key pairs still used by an instance that lives on (a young one, or not ours)
  // are kept: EC2 refuses such a group, and it would delete such a key pair under a live run.
  const live = (await describeInstances(clients, {})).filter((i) => !ids.includes(i.instanceId));
  const usedGroups = new Set(live.flatMap((i) => i.securityGroupIds));
  const usedKeys = new Set(live.flatMap((i) => (i.keyName ? [i.keyName] : [])));
  for (const g of await listSecurityGroups(clients, { tags: o.tags })) {
    if (keep({ created: undefined, tags: g.tags })) continue;
    if (usedGroups.has(g.groupId)) {
      o.logger?.warn(`security group ${g.groupId} (${g.name}) is in use, kept`);
      continue;
    }
    try {
      if (!o.dryRun) await deleteSecurityGroup(clients, g.groupId);
    } catch (err) {
      // an instance launched since the listing, or a network interface: in use, keep it
      if (awsErrorCode((err as { cause?: unknown }).cause) !== 'DependencyViolation') throw err;
      o.logger?.warn(`security group ${g.groupId} (${g.name}) is in use, kept`);
      continue;
    }
    o.logger?.info(`${o.dryRun ? 'would delete' : 'deleted'} security group ${g.groupId} (${g.name})`);
    out.securityGroups.push(g.groupId);
  }
  for (const k of await listKeyPairs(clients, o.tags)) {
    if (keep({ created: k.created, tags: k.tags })) continue;
    if (usedKeys.has(k.name)) {
      o.logger?.warn(`key pair ${k.keyPairId} (${k.name}) is in use, kept`);
      continue;
    }
    if (!o.dryRun) await deleteKeyPair(clients, k.keyPairId);
    o.logger?.info(`${o.dryRun ? 'would delete' : 'deleted'} key pair ${k.keyPairId} (${k.name})`);
    out.keyPairs.push(k.keyPairId);
  }
  return out;
}

/** When a resource was made: its own time, else the CreatedAt tag kola writes. */
function createdOf(r: { created: Date | undefined; tags: Record<string, string> }): number | undefined {
  const t = r.created?.getTime() ?? (r.tags.CreatedAt ? Date.parse(r.tags.CreatedAt) : NaN);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * `ore aws gc`'s part for machines: instances, security groups and key pairs tagged
 * CreatedBy=mantle that are older than the cutoff or whose ExpiresAt tag has passed. Ones of
 * unknown age and no expiry are kept.
 */
export async function gcAwsMachines(
  clients: AwsClients,
  opts: { olderThanMs: number; now?: Date; dryRun?: boolean; logger?: Logger; signal?: AbortSignal },
): Promise<AwsSweepResult> {
  const now = (opts.now ?? new Date()).getTime();
  const cutoff = now - opts.olderThanMs;
  return sweepInstances(clients, {
    tags: { ...MANTLE_TAG },
    keep: (r) => {
      const expires = r.tags.ExpiresAt ? Date.parse(r.tags.ExpiresAt) : NaN;
      if (Number.isFinite(expires) && expires <= now) return false;
      const created = createdOf(r);
      return created === undefined || created >= cutoff;
    },
    ...(opts.dryRun ? { dryRun: true } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}
