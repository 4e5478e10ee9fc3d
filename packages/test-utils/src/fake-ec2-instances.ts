// The instance half of the fake EC2 query API (fake-aws.ts): RunInstances, DescribeInstances,
// GetConsoleOutput, TerminateInstances, security groups, key pairs, VPCs and instance types,
// with state. What runs "inside" an instance is up to a backend the test supplies: kola's aws
// tests boot a real qemu machine with the user data the API received and report its forwarded
// SSH port in a tag; without a backend an instance runs at once with no machine behind it.
import { createHash, randomBytes } from 'node:crypto';
import { pendingWork, type FakeMachineBackend } from './fake-machines.js';

export interface FakeInstance {
  id: string;
  region: string;
  imageId: string;
  instanceType: string;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
  /** the user data as EC2 received it (base64), and decoded */
  userDataBase64: string;
  userData: string;
  keyName: string | undefined;
  securityGroupIds: string[];
  subnetId: string | undefined;
  tags: Map<string, string>;
  launchTime: Date;
  clientToken: string | undefined;
  publicIp: string | undefined;
  privateIp: string | undefined;
  /** console text when the backend has none */
  console: string;
}

/** What runs behind an instance (fake-machines.ts; the same for every fake cloud). */
export type FakeInstanceBackend = FakeMachineBackend;

export interface FakeSecurityGroup {
  id: string;
  region: string;
  name: string;
  description: string;
  vpcId: string;
  tags: Map<string, string>;
  ingress: unknown[];
}

export interface FakeKeyPair {
  id: string;
  region: string;
  name: string;
  publicKey: string;
  created: Date;
  tags: Map<string, string>;
}

export interface FakeInstancesOptions {
  backend?: FakeInstanceBackend;
  /** instance types the regions offer (default a few common ones) */
  instanceTypes?: string[];
  /** RunInstances answers InstanceLimitExceeded once this many instances are not terminated */
  instanceLimit?: number;
}

export interface FakeInstancesState {
  instances: FakeInstance[];
  securityGroups: FakeSecurityGroup[];
  keyPairs: FakeKeyPair[];
  /** instances, groups and key pairs that still exist (not terminated/deleted) */
  liveResources(): { instances: string[]; securityGroups: string[]; keyPairs: string[] };
  /** waits for every backend start/stop under way (tests call it before closing) */
  settle(): Promise<void>;
}

type Handler = (
  p: Record<string, unknown>,
  region: string,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

type Err = (code: string, message: string) => Error;

const DEFAULT_TYPES = ['t3.micro', 't3.small', 't3.medium', 'm4.large', 'm5.large', 'c5.large'];
const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 } as const;

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const asList = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const tagsXml = (tags: Map<string, string>): { item: { key: string; value: string }[] } => ({
  item: [...tags].map(([key, value]) => ({ key, value })),
});

/** The instance actions on a shared state, given the fake's error and filter helpers. */
export function instanceActions(
  opts: FakeInstancesOptions,
  h: {
    error: Err;
    filterMatch: (
      filters: Record<string, unknown>[] | undefined,
      get: (name: string) => string | undefined,
    ) => boolean;
  },
): { state: FakeInstancesState; actions: Record<string, Handler> } {
  const { track, settle } = pendingWork();
  const state: FakeInstancesState = {
    instances: [],
    securityGroups: [],
    keyPairs: [],
    liveResources: () => ({
      instances: state.instances.filter((i) => i.state !== 'terminated').map((i) => i.id),
      securityGroups: state.securityGroups.map((g) => g.id),
      keyPairs: state.keyPairs.map((k) => k.id),
    }),
    settle,
  };
  const types = opts.instanceTypes ?? DEFAULT_TYPES;
  const tagSpecs = (p: Record<string, unknown>, type: string): Map<string, string> => {
    const out = new Map<string, string>();
    for (const spec of asList<{ ResourceType?: string; Tag?: { Key: string; Value?: string }[] }>(
      p.TagSpecification,
    ))
      if (spec.ResourceType === type) for (const t of spec.Tag ?? []) out.set(t.Key, t.Value ?? '');
    return out;
  };
  const tagGet = (tags: Map<string, string>, n: string): string | undefined =>
    n.startsWith('tag:') ? tags.get(n.slice(4)) : undefined;
  const instanceXml = (i: FakeInstance): Record<string, unknown> => ({
    instanceId: i.id,
    imageId: i.imageId,
    instanceState: { code: STATE_CODES[i.state], name: i.state },
    instanceType: i.instanceType,
    launchTime: i.launchTime.toISOString(),
    ...(i.keyName ? { keyName: i.keyName } : {}),
    ...(i.publicIp && i.state === 'running' ? { ipAddress: i.publicIp } : {}),
    ...(i.privateIp ? { privateIpAddress: i.privateIp } : {}),
    ...(i.subnetId ? { subnetId: i.subnetId } : {}),
    groupSet: { item: i.securityGroupIds.map((g) => ({ groupId: g })) },
    tagSet: tagsXml(i.tags),
  });
  const findInstances = (ids: string[], region: string): FakeInstance[] =>
    ids.map((id) => {
      const i = state.instances.find((x) => x.id === id && x.region === region);
      if (!i) throw h.error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      return i;
    });

  const start = (inst: FakeInstance): void => {
    if (!opts.backend) {
      inst.state = 'running';
      inst.publicIp = '127.0.0.1';
      inst.privateIp = `172.31.0.${10 + state.instances.indexOf(inst)}`;
      return;
    }
    track(
      opts.backend.start(inst).then(
        (addr) => {
          if (inst.state !== 'pending') return;
          inst.publicIp = addr.publicIp;
          inst.privateIp = addr.privateIp;
          for (const [k, v] of Object.entries(addr.tags ?? {})) inst.tags.set(k, v);
          inst.state = 'running';
        },
        (err: unknown) => {
          // EC2 says "running" whatever the OS does; what went wrong shows on the console.
          inst.console += `\nfake instance backend: ${String(err)}\n`;
          if (inst.state === 'pending') inst.state = 'running';
        },
      ),
    );
  };

  const actions: Record<string, Handler> = {
    DescribeInstanceTypes: (p) => {
      const asked = asList<string>(p.InstanceType);
      const unknown = asked.filter((t) => !types.includes(t));
      if (unknown.length > 0)
        throw h.error(
          'InvalidInstanceType',
          `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
        );
      return {
        instanceTypeSet: {
          item: (asked.length ? asked : types).map((t) => ({ instanceType: t, currentGeneration: true })),
        },
      };
    },
    DescribeVpcs: (_p, region) => ({
      vpcSet: {
        item: [
          {
            vpcId: `vpc-${region.replace(/-/g, '')}`,
            isDefault: true,
            cidrBlock: '172.31.0.0/16',
            state: 'available',
          },
        ],
      },
    }),
    RunInstances: (p, region) => {
      const token = str(p.ClientToken) || undefined;
      const again = token
        ? state.instances.find((i) => i.clientToken === token && i.region === region)
        : undefined;
      const live = state.instances.filter((i) => i.state !== 'terminated' && i.region === region).length;
      if (!again && opts.instanceLimit !== undefined && live >= opts.instanceLimit)
        throw h.error(
          'InstanceLimitExceeded',
          `You have requested more instances (${live + 1}) than your current instance limit of ${opts.instanceLimit} allows for the specified instance type.`,
        );
      const instanceType = str(p.InstanceType, 'm1.small');
      if (!types.includes(instanceType))
        throw h.error('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
      const imageId = str(p.ImageId);
      if (!/^ami-[0-9a-f]+$/.test(imageId))
        throw h.error('InvalidAMIID.Malformed', `Invalid id: "${imageId}"`);
      const sgs = asList<string>(p.SecurityGroupId);
      for (const g of sgs)
        if (!state.securityGroups.some((x) => x.id === g && x.region === region))
          throw h.error('InvalidGroup.NotFound', `The security group '${g}' does not exist`);
      const keyName = str(p.KeyName) || undefined;
      if (keyName && !state.keyPairs.some((k) => k.name === keyName && k.region === region))
        throw h.error('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
      let inst = again;
      if (!inst) {
        const b64 = str(p.UserData);
        inst = {
          id: 'i-' + randomBytes(8).toString('hex').slice(0, 17),
          region,
          imageId,
          instanceType,
          state: 'pending',
          userDataBase64: b64,
          userData: Buffer.from(b64, 'base64').toString('utf8'),
          keyName,
          securityGroupIds: sgs,
          subnetId: str(p.SubnetId) || undefined,
          tags: tagSpecs(p, 'instance'),
          launchTime: new Date(),
          clientToken: token,
          publicIp: undefined,
          privateIp: undefined,
          console: '',
        };
        state.instances.push(inst);
        start(inst);
      }
      return {
        reservationId: 'r-' + createHash('sha1').update(inst.id).digest('hex').slice(0, 17),
        ownerId: '123456789012',
        instancesSet: { item: [instanceXml(inst)] },
      };
    },
    DescribeInstances: (p, region) => {
      const ids = asList<string>(p.InstanceId);
      const base = ids.length
        ? findInstances(ids, region)
        : state.instances.filter((i) => i.region === region);
      const list = base.filter((i) =>
        h.filterMatch(p.Filter as Record<string, unknown>[] | undefined, (n) =>
          n === 'instance-state-name' ? i.state : n === 'instance-id' ? i.id : tagGet(i.tags, n),
        ),
      );
      return {
        reservationSet: {
          item: list.map((i) => ({
            reservationId: 'r-' + i.id.slice(2),
            ownerId: '123456789012',
            instancesSet: { item: [instanceXml(i)] },
          })),
        },
      };
    },
    GetConsoleOutput: async (p, region) => {
      const [i] = findInstances([str(p.InstanceId)], region);
      const text =
        (i && opts.backend?.console ? await opts.backend.console(i).catch(() => '') : '') +
        (i?.console ?? '');
      return {
        instanceId: i?.id,
        timestamp: new Date().toISOString(),
        ...(text ? { output: Buffer.from(text, 'utf8').toString('base64') } : {}),
      };
    },
    TerminateInstances: (p, region) => {
      const list = findInstances(asList<string>(p.InstanceId), region);
      const items = list.map((i) => {
        const previous = i.state;
        if (i.state !== 'terminated' && i.state !== 'shutting-down') {
          i.state = 'shutting-down';
          const done = (): void => {
            i.state = 'terminated';
          };
          if (opts.backend) track(opts.backend.stop(i).finally(done));
          else done();
        }
        return {
          instanceId: i.id,
          previousState: { code: STATE_CODES[previous], name: previous },
          currentState: { code: STATE_CODES[i.state], name: i.state },
        };
      });
      return { instancesSet: { item: items } };
    },
    CreateSecurityGroup: (p, region) => {
      const name = str(p.GroupName);
      const vpcId = str(p.VpcId, `vpc-${region.replace(/-/g, '')}`);
      if (state.securityGroups.some((g) => g.name === name && g.region === region && g.vpcId === vpcId))
        throw h.error(
          'InvalidGroup.Duplicate',
          `The security group '${name}' already exists for VPC '${vpcId}'`,
        );
      const g: FakeSecurityGroup = {
        id: 'sg-' + randomBytes(8).toString('hex').slice(0, 17),
        region,
        name,
        description: str(p.GroupDescription),
        vpcId,
        tags: tagSpecs(p, 'security-group'),
        ingress: [],
      };
      state.securityGroups.push(g);
      return { return: true, groupId: g.id };
    },
    AuthorizeSecurityGroupIngress: (p, region) => {
      const g = state.securityGroups.find((x) => x.id === p.GroupId && x.region === region);
      if (!g) throw h.error('InvalidGroup.NotFound', `The security group '${str(p.GroupId)}' does not exist`);
      g.ingress.push(...asList(p.IpPermissions));
      return { return: true };
    },
    DescribeSecurityGroups: (p, region) => {
      const list = state.securityGroups.filter(
        (g) =>
          g.region === region &&
          h.filterMatch(p.Filter as Record<string, unknown>[] | undefined, (n) =>
            n === 'group-id'
              ? g.id
              : n === 'group-name'
                ? g.name
                : n === 'vpc-id'
                  ? g.vpcId
                  : tagGet(g.tags, n),
          ),
      );
      return {
        securityGroupInfo: {
          item: list.map((g) => ({
            ownerId: '123456789012',
            groupId: g.id,
            groupName: g.name,
            groupDescription: g.description,
            vpcId: g.vpcId,
            tagSet: tagsXml(g.tags),
          })),
        },
      };
    },
    DeleteSecurityGroup: (p, region) => {
      const i = state.securityGroups.findIndex((g) => g.id === p.GroupId && g.region === region);
      if (i < 0)
        throw h.error('InvalidGroup.NotFound', `The security group '${str(p.GroupId)}' does not exist`);
      const user = state.instances.find(
        (x) => x.state !== 'terminated' && x.securityGroupIds.includes(str(p.GroupId)),
      );
      if (user)
        throw h.error(
          'DependencyViolation',
          `resource ${str(p.GroupId)} has a dependent object (${user.id})`,
        );
      state.securityGroups.splice(i, 1);
      return { return: true };
    },
    ImportKeyPair: (p, region) => {
      const name = str(p.KeyName);
      if (state.keyPairs.some((k) => k.name === name && k.region === region))
        throw h.error('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
      const k: FakeKeyPair = {
        id: 'key-' + randomBytes(8).toString('hex').slice(0, 17),
        region,
        name,
        publicKey: Buffer.from(str(p.PublicKeyMaterial), 'base64').toString('utf8'),
        created: new Date(),
        tags: tagSpecs(p, 'key-pair'),
      };
      state.keyPairs.push(k);
      return {
        keyFingerprint: createHash('md5').update(k.publicKey).digest('hex'),
        keyName: name,
        keyPairId: k.id,
      };
    },
    DescribeKeyPairs: (p, region) => {
      const list = state.keyPairs.filter(
        (k) =>
          k.region === region &&
          h.filterMatch(p.Filter as Record<string, unknown>[] | undefined, (n) =>
            n === 'key-name' ? k.name : n === 'key-pair-id' ? k.id : tagGet(k.tags, n),
          ),
      );
      return {
        keySet: {
          item: list.map((k) => ({
            keyPairId: k.id,
            keyName: k.name,
            keyType: 'ed25519',
            createTime: k.created.toISOString(),
            tagSet: tagsXml(k.tags),
          })),
        },
      };
    },
    DeleteKeyPair: (p, region) => {
      const i = state.keyPairs.findIndex(
        (k) => k.region === region && (k.id === p.KeyPairId || k.name === p.KeyName),
      );
      if (i >= 0) state.keyPairs.splice(i, 1);
      return { return: true };
    },
  };
  return { state, actions };
}
