// Local test servers speaking the wire protocols of the AWS APIs ore (and later kola's aws
// platform) drive through the real SDK clients: EC2 (query API, XML answers), IAM (query API,
// XML) and EBS direct (REST JSON + binary blocks). No emulator for these installs here, so the
// SDK clients are pointed at these with endpoint overrides. They KEEP STATE — snapshots with
// their blocks, import tasks, images, tags, launch permissions, roles — per region (read from
// the SigV4 credential scope), so idempotency and resumption are real: a rerun finds what the
// first run made. Requests are counted and can be throttled or refused for tests.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { instanceActions, type FakeInstancesOptions, type FakeInstancesState } from './fake-ec2-instances.js';

export type {
  FakeInstance,
  FakeInstanceBackend,
  FakeInstancesOptions,
  FakeInstancesState,
  FakeKeyPair,
  FakeSecurityGroup,
} from './fake-ec2-instances.js';

export interface FakeSnapshot {
  id: string;
  region: string;
  state: 'pending' | 'completed' | 'error';
  volumeSize: number;
  startTime: Date;
  description: string;
  tags: Map<string, string>;
  /** EBS direct: block index -> data (512 KiB blocks) */
  blocks: Map<number, Buffer>;
  clientToken?: string;
  source: 'ebs' | 'import';
  /** ModifySnapshotAttribute createVolumePermission (who may create volumes from it) */
  createVolumePermissions?: { userId?: string; group?: string }[];
}

export interface FakeImportTask {
  id: string;
  region: string;
  description: string;
  status: 'active' | 'completed' | 'deleted' | 'cancelled';
  statusMessage?: string;
  snapshotId?: string;
  bucket: string;
  key: string;
  format: string;
  polls: number;
  clientToken?: string;
}

export interface FakeImage {
  id: string;
  region: string;
  name: string;
  description: string;
  state: 'available' | 'pending' | 'deregistered';
  creationDate: Date;
  snapshotId: string;
  volumeSize: number;
  architecture: string;
  bootMode?: string;
  enaSupport: boolean;
  sriovNetSupport?: string;
  rootDeviceName: string;
  tags: Map<string, string>;
  launchPermissions: { userId?: string; group?: string }[];
}

export interface FakeAwsOptions {
  regions?: string[];
  /** how many DescribeImportSnapshotTasks polls an import takes before it completes */
  importPolls?: number;
  /** checks an import's S3 object exists (e.g. a HEAD against s3rver); a missing one fails the task */
  objectExists?: (bucket: string, key: string) => Promise<boolean>;
  /** instances, security groups, key pairs (fake-ec2-instances.ts) */
  instances?: FakeInstancesOptions;
}

/** The fake AWS: one state, three endpoints. */
export interface FakeAws {
  ec2Endpoint: string;
  iamEndpoint: string;
  ebsEndpoint: string;
  snapshots: FakeSnapshot[];
  importTasks: FakeImportTask[];
  images: FakeImage[];
  /** instances, security groups and key pairs */
  ec2: FakeInstancesState;
  roles: Map<string, { assume: string; policies: Map<string, string> }>;
  /** calls per action (EC2/IAM Action names; EBS: StartSnapshot, PutSnapshotBlock, CompleteSnapshot) */
  calls: Map<string, number>;
  /** answer the next N calls of an action with a throttling error */
  throttle: Map<string, number>;
  /** answer every call with an authentication failure */
  rejectAuth: boolean;
  /** called after each stored EBS block (tests kill the client here) */
  onBlock?: (snapshotId: string, index: number) => void;
  /** the disk a completed EBS snapshot holds (blocks laid out, zeros elsewhere), up to `size` bytes */
  snapshotBytes(id: string, size: number): Buffer;
  close(): Promise<void>;
}

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const EBS_BLOCK = 512 * 1024;

/** Start the three servers on free ports of 127.0.0.1. */
export async function startFakeAws(opts: FakeAwsOptions = {}): Promise<FakeAws> {
  const regions = opts.regions ?? ['us-east-1', 'us-west-2', 'eu-central-1'];
  const state: FakeAws = {
    ec2Endpoint: '',
    iamEndpoint: '',
    ebsEndpoint: '',
    snapshots: [],
    importTasks: [],
    images: [],
    ec2: undefined as unknown as FakeInstancesState,
    roles: new Map(),
    calls: new Map(),
    throttle: new Map(),
    rejectAuth: false,
    snapshotBytes: (id, size) => {
      const s = state.snapshots.find((x) => x.id === id);
      const out = Buffer.alloc(size);
      for (const [i, b] of s?.blocks ?? [])
        b.copy(out, i * EBS_BLOCK, 0, Math.max(0, Math.min(b.length, size - i * EBS_BLOCK)));
      return out;
    },
    close: async () => {
      await state.ec2.settle();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
  const count = (action: string): void => void state.calls.set(action, (state.calls.get(action) ?? 0) + 1);
  const throttled = (action: string): boolean => {
    const n = state.throttle.get(action) ?? 0;
    if (n <= 0) return false;
    state.throttle.set(action, n - 1);
    return true;
  };

  const ec2 = await listen(async (req, res) => {
    const params = new URLSearchParams((await body(req)).toString('utf8'));
    const action = params.get('Action') ?? '';
    count(action);
    const region = regionOf(req);
    if (state.rejectAuth)
      return ec2Error(
        res,
        401,
        'AuthFailure',
        'AWS was not able to validate the provided access credentials',
      );
    if (!regions.includes(region))
      return ec2Error(res, 401, 'AuthFailure', `region ${region} is not enabled`);
    if (throttled(action)) return ec2Error(res, 503, 'RequestLimitExceeded', 'Request limit exceeded.');
    const p = unflatten(params);
    const handler = ec2Actions[action];
    if (!handler)
      return ec2Error(res, 400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    try {
      const out = await handler(p, region);
      send(
        res,
        200,
        'text/xml',
        `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}"><requestId>${randomId()}</requestId>${toXml(out)}</${action}Response>`,
      );
    } catch (err) {
      const e = err as { code?: string; message: string; status?: number };
      ec2Error(res, e.status ?? 400, e.code ?? 'InternalError', e.message);
    }
  });

  const iam = await listen(async (req, res) => {
    const params = new URLSearchParams((await body(req)).toString('utf8'));
    const action = params.get('Action') ?? '';
    count(`iam:${action}`);
    if (state.rejectAuth)
      return iamError(
        res,
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      );
    const p = Object.fromEntries(params) as Record<string, string>;
    const role = state.roles.get(p.RoleName ?? '');
    const roleXml = (name: string): Record<string, unknown> => ({
      Role: {
        Path: '/',
        RoleName: name,
        RoleId: 'AROA' + name.toUpperCase(),
        Arn: `arn:aws:iam::123456789012:role/${name}`,
        CreateDate: new Date().toISOString(),
        AssumeRolePolicyDocument: encodeURIComponent(state.roles.get(name)?.assume ?? ''),
      },
    });
    let result: Record<string, unknown> = {};
    switch (action) {
      case 'GetRole':
        if (!role)
          return iamError(res, 404, 'NoSuchEntity', `The role with name ${p.RoleName} cannot be found.`);
        result = roleXml(p.RoleName!);
        break;
      case 'CreateRole':
        if (role)
          return iamError(res, 409, 'EntityAlreadyExists', `Role with name ${p.RoleName} already exists.`);
        state.roles.set(p.RoleName!, { assume: p.AssumeRolePolicyDocument ?? '', policies: new Map() });
        result = roleXml(p.RoleName!);
        break;
      case 'GetRolePolicy': {
        const doc = role?.policies.get(p.PolicyName ?? '');
        if (doc === undefined)
          return iamError(
            res,
            404,
            'NoSuchEntity',
            `The role policy with name ${p.PolicyName} cannot be found.`,
          );
        result = { RoleName: p.RoleName, PolicyName: p.PolicyName, PolicyDocument: encodeURIComponent(doc) };
        break;
      }
      case 'PutRolePolicy':
        if (!role)
          return iamError(res, 404, 'NoSuchEntity', `The role with name ${p.RoleName} cannot be found.`);
        role.policies.set(p.PolicyName!, p.PolicyDocument ?? '');
        break;
      default:
        return iamError(res, 400, 'InvalidAction', `Could not find operation ${action}`);
    }
    send(
      res,
      200,
      'text/xml',
      `<${action}Response xmlns="${IAM_NS}"><${action}Result>${toXml(result)}</${action}Result><ResponseMetadata><RequestId>${randomId()}</RequestId></ResponseMetadata></${action}Response>`,
    );
  });

  const ebs = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const data = await body(req);
    const region = regionOf(req);
    const json = (status: number, obj: unknown): void =>
      send(res, status, 'application/json', JSON.stringify(obj));
    const fail = (status: number, type: string, message: string): void => {
      res.setHeader('x-amzn-ErrorType', type);
      json(status, { Message: message, message });
    };
    if (state.rejectAuth)
      return fail(403, 'AccessDeniedException', 'The security token included in the request is invalid');
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && url.pathname === '/snapshots') {
      count('StartSnapshot');
      if (throttled('StartSnapshot')) return fail(429, 'RequestThrottledException', 'Rate exceeded');
      const b = JSON.parse(data.toString('utf8') || '{}') as {
        VolumeSize: number;
        Description?: string;
        ClientToken?: string;
        Tags?: { Key: string; Value: string }[];
      };
      // ClientToken makes StartSnapshot idempotent: the same token gets the same snapshot.
      let s = b.ClientToken
        ? state.snapshots.find((x) => x.clientToken === b.ClientToken && x.region === region)
        : undefined;
      if (!s) {
        s = {
          id: 'snap-' + randomBytes(8).toString('hex'),
          region,
          state: 'pending',
          volumeSize: b.VolumeSize,
          startTime: new Date(),
          description: b.Description ?? '',
          tags: new Map((b.Tags ?? []).map((t) => [t.Key, t.Value])),
          blocks: new Map(),
          source: 'ebs',
          ...(b.ClientToken ? { clientToken: b.ClientToken } : {}),
        };
        state.snapshots.push(s);
      }
      return json(201, {
        SnapshotId: s.id,
        OwnerId: '123456789012',
        Status: s.state,
        VolumeSize: s.volumeSize,
        BlockSize: EBS_BLOCK,
        StartTime: s.startTime.getTime() / 1000,
        Description: s.description,
        Tags: [...s.tags].map(([Key, Value]) => ({ Key, Value })),
      });
    }
    if (req.method === 'PUT' && (m = /^\/snapshots\/([^/]+)\/blocks\/(\d+)$/.exec(url.pathname))) {
      count('PutSnapshotBlock');
      if (throttled('PutSnapshotBlock')) return fail(429, 'RequestThrottledException', 'Rate exceeded');
      const s = state.snapshots.find((x) => x.id === m![1]);
      if (!s) return fail(404, 'ResourceNotFoundException', `snapshot ${m[1]} not found`);
      if (s.state !== 'pending') return fail(400, 'ValidationException', `snapshot ${s.id} is ${s.state}`);
      const sum = createHash('sha256').update(data).digest('base64');
      if (data.length !== EBS_BLOCK)
        return fail(400, 'ValidationException', `block must be ${EBS_BLOCK} bytes`);
      if (req.headers['x-amz-checksum'] !== sum) return fail(400, 'ValidationException', 'checksum mismatch');
      const index = Number(m[2]);
      s.blocks.set(index, data);
      res.setHeader('x-amz-Checksum', sum);
      res.setHeader('x-amz-Checksum-Algorithm', 'SHA256');
      json(201, {});
      state.onBlock?.(s.id, index);
      return;
    }
    if (req.method === 'POST' && (m = /^\/snapshots\/completion\/([^/]+)$/.exec(url.pathname))) {
      count('CompleteSnapshot');
      const s = state.snapshots.find((x) => x.id === m![1]);
      if (!s) return fail(404, 'ResourceNotFoundException', `snapshot ${m[1]} not found`);
      const changed = Number(req.headers['x-amz-changedblockscount']);
      if (changed !== s.blocks.size)
        return fail(
          400,
          'ValidationException',
          `ChangedBlocksCount ${changed} but ${s.blocks.size} blocks were written`,
        );
      const agg = req.headers['x-amz-checksum'];
      if (agg) {
        const h = createHash('sha256');
        for (const i of [...s.blocks.keys()].sort((a, b) => a - b))
          h.update(createHash('sha256').update(s.blocks.get(i)!).digest());
        if (h.digest('base64') !== agg)
          return fail(400, 'ValidationException', 'aggregated checksum mismatch');
      }
      s.state = 'completed';
      return json(202, { Status: 'completed' });
    }
    fail(404, 'ResourceNotFoundException', `no route ${req.method} ${url.pathname}`);
  });

  const servers = [ec2.server, iam.server, ebs.server];
  state.ec2Endpoint = ec2.url;
  state.iamEndpoint = iam.url;
  state.ebsEndpoint = ebs.url;

  const tagsXml = (tags: Map<string, string>): { item: { key: string; value: string }[] } => ({
    item: [...tags].map(([key, value]) => ({ key, value })),
  });
  const snapXml = (s: FakeSnapshot): Record<string, unknown> => ({
    snapshotId: s.id,
    volumeId: 'vol-ffffffff',
    status: s.state,
    startTime: s.startTime.toISOString(),
    progress: s.state === 'completed' ? '100%' : '0%',
    ownerId: '123456789012',
    volumeSize: s.volumeSize,
    description: s.description,
    tagSet: tagsXml(s.tags),
  });
  const imageXml = (i: FakeImage): Record<string, unknown> => ({
    imageId: i.id,
    name: i.name,
    description: i.description,
    imageState: i.state,
    creationDate: i.creationDate.toISOString(),
    imageOwnerId: '123456789012',
    architecture: i.architecture,
    imageType: 'machine',
    virtualizationType: 'hvm',
    rootDeviceType: 'ebs',
    rootDeviceName: i.rootDeviceName,
    enaSupport: i.enaSupport,
    ...(i.bootMode ? { bootMode: i.bootMode } : {}),
    ...(i.sriovNetSupport ? { sriovNetSupport: i.sriovNetSupport } : {}),
    isPublic: i.launchPermissions.some((l) => l.group === 'all'),
    blockDeviceMapping: {
      item: [
        {
          deviceName: i.rootDeviceName,
          ebs: {
            snapshotId: i.snapshotId,
            volumeSize: i.volumeSize,
            deleteOnTermination: true,
            volumeType: 'gp3',
          },
        },
      ],
    },
    tagSet: tagsXml(i.tags),
  });
  const notFound = (code: string, message: string): Error => Object.assign(new Error(message), { code });
  const filterMatch = (
    filters: Record<string, unknown>[] | undefined,
    get: (name: string) => string | undefined,
  ): boolean =>
    (filters ?? []).every((f) => {
      const values = (f.Value as string[] | undefined) ?? [];
      const v = get(String(f.Name));
      return v !== undefined && values.includes(v);
    });
  const taskXml = (t: FakeImportTask): Record<string, unknown> => ({
    importTaskId: t.id,
    description: t.description,
    snapshotTaskDetail: {
      status: t.status,
      ...(t.statusMessage ? { statusMessage: t.statusMessage } : {}),
      ...(t.snapshotId ? { snapshotId: t.snapshotId } : {}),
      progress: t.status === 'completed' ? '100' : String(Math.min(99, t.polls * 30)),
      format: t.format,
      userBucket: { s3Bucket: t.bucket, s3Key: t.key },
    },
  });

  const ec2Actions: Record<
    string,
    (p: Record<string, unknown>, region: string) => Record<string, unknown> | Promise<Record<string, unknown>>
  > = {
    DescribeRegions: () => ({
      regionInfo: {
        item: regions.map((r) => ({
          regionName: r,
          regionEndpoint: `ec2.${r}.amazonaws.com`,
          optInStatus: 'opt-in-not-required',
        })),
      },
    }),
    DescribeSnapshots: (p, region) => {
      const ids = p.SnapshotId as string[] | undefined;
      if (ids)
        for (const id of ids)
          if (!state.snapshots.some((s) => s.id === id && s.region === region))
            throw notFound('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
      const list = state.snapshots.filter(
        (s) =>
          s.region === region &&
          (!ids || ids.includes(s.id)) &&
          filterMatch(p.Filter as Record<string, unknown>[] | undefined, (n) =>
            n === 'status'
              ? s.state
              : n.startsWith('tag:')
                ? s.tags.get(n.slice(4))
                : n === 'description'
                  ? s.description
                  : undefined,
          ),
      );
      return { snapshotSet: { item: list.map(snapXml) } };
    },
    DeleteSnapshot: (p, region) => {
      const i = state.snapshots.findIndex((s) => s.id === p.SnapshotId && s.region === region);
      if (i < 0)
        throw notFound('InvalidSnapshot.NotFound', `The snapshot '${str(p.SnapshotId)}' does not exist.`);
      const used = state.images.find((im) => im.snapshotId === p.SnapshotId && im.state !== 'deregistered');
      if (used)
        throw notFound(
          'InvalidSnapshot.InUse',
          `The snapshot ${str(p.SnapshotId)} is currently in use by ${used.id}`,
        );
      state.snapshots.splice(i, 1);
      return { return: true };
    },
    ImportSnapshot: (p, region) => {
      const dc = p.DiskContainer as { UserBucket: { S3Bucket: string; S3Key: string }; Format?: string };
      const token = p.ClientToken as string | undefined;
      let t = token ? state.importTasks.find((x) => x.clientToken === token) : undefined;
      if (!t) {
        t = {
          id: 'import-snap-' + randomBytes(8).toString('hex'),
          region,
          description: str(p.Description, ''),
          status: 'active',
          bucket: dc.UserBucket.S3Bucket,
          key: dc.UserBucket.S3Key,
          format: String(dc.Format ?? 'RAW'),
          polls: 0,
          ...(token ? { clientToken: token } : {}),
        };
        state.importTasks.push(t);
      }
      return {
        importTaskId: t.id,
        description: t.description,
        snapshotTaskDetail: taskXml(t).snapshotTaskDetail,
      };
    },
    DescribeImportSnapshotTasks: async (p, region) => {
      const ids = p.ImportTaskId as string[] | undefined;
      const list = state.importTasks.filter((t) => t.region === region && (!ids || ids.includes(t.id)));
      for (const t of list) {
        if (t.status !== 'active' || (ids && !ids.includes(t.id))) continue;
        t.polls++;
        if (t.polls < (opts.importPolls ?? 2)) continue;
        if (opts.objectExists && !(await opts.objectExists(t.bucket, t.key))) {
          t.status = 'deleted';
          t.statusMessage = `ClientError: Unable to read s3://${t.bucket}/${t.key}`;
          continue;
        }
        const snap: FakeSnapshot = {
          id: 'snap-' + randomBytes(8).toString('hex'),
          region,
          state: 'completed',
          volumeSize: 8,
          startTime: new Date(),
          description: `Created by AWS-VMImport service for ${t.id}`,
          tags: new Map(),
          blocks: new Map(),
          source: 'import',
        };
        state.snapshots.push(snap);
        t.snapshotId = snap.id;
        t.status = 'completed';
      }
      return { importSnapshotTaskSet: { item: list.map(taskXml) } };
    },
    CancelImportTask: (p) => {
      const t = state.importTasks.find((x) => x.id === p.ImportTaskId);
      if (!t)
        throw notFound(
          'InvalidConversionTaskId.Malformed',
          `The import task ${str(p.ImportTaskId)} does not exist`,
        );
      const previous = t.status;
      t.status = 'cancelled';
      return { importTaskId: t.id, previousState: previous, state: 'cancelled' };
    },
    CreateTags: (p, region) => {
      const ids = (p.ResourceId as string[] | undefined) ?? [];
      const tags = (p.Tag as { Key: string; Value?: string }[] | undefined) ?? [];
      for (const id of ids) {
        const r =
          state.snapshots.find((s) => s.id === id && s.region === region) ??
          state.images.find((i) => i.id === id && i.region === region);
        if (!r)
          throw notFound(
            id.startsWith('ami-') ? 'InvalidAMIID.NotFound' : 'InvalidSnapshot.NotFound',
            `The ID '${id}' does not exist`,
          );
        for (const t of tags) r.tags.set(t.Key, t.Value ?? '');
      }
      return { return: true };
    },
    RegisterImage: (p, region) => {
      const name = str(p.Name, '');
      if (!/^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/.test(name))
        throw notFound('InvalidAMIName.Malformed', `AMI name ${name} is invalid`);
      if (state.images.some((i) => i.name === name && i.region === region && i.state !== 'deregistered'))
        throw notFound('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI`);
      const bdm = (
        p.BlockDeviceMapping as { DeviceName: string; Ebs?: { SnapshotId: string; VolumeSize?: string } }[]
      )[0]!;
      const snap = state.snapshots.find((s) => s.id === bdm.Ebs?.SnapshotId && s.region === region);
      if (!snap || snap.state !== 'completed')
        throw notFound(
          'InvalidSnapshot.NotFound',
          `snapshot ${bdm.Ebs?.SnapshotId} is not a completed snapshot`,
        );
      const img: FakeImage = {
        id: 'ami-' + randomBytes(8).toString('hex'),
        region,
        name,
        description: str(p.Description, ''),
        state: 'available',
        creationDate: new Date(),
        snapshotId: snap.id,
        volumeSize: Number(bdm.Ebs?.VolumeSize ?? snap.volumeSize),
        architecture: str(p.Architecture, 'x86_64'),
        ...(p.BootMode ? { bootMode: str(p.BootMode) } : {}),
        enaSupport: p.EnaSupport === 'true',
        ...(p.SriovNetSupport ? { sriovNetSupport: str(p.SriovNetSupport) } : {}),
        rootDeviceName: str(p.RootDeviceName, bdm.DeviceName),
        tags: new Map(),
        launchPermissions: [],
      };
      state.images.push(img);
      return { imageId: img.id };
    },
    DescribeImages: (p, region) => {
      const ids = p.ImageId as string[] | undefined;
      const list = state.images.filter(
        (i) =>
          i.region === region &&
          i.state !== 'deregistered' &&
          (!ids || ids.includes(i.id)) &&
          filterMatch(p.Filter as Record<string, unknown>[] | undefined, (n) =>
            n === 'name'
              ? i.name
              : n.startsWith('tag:')
                ? i.tags.get(n.slice(4))
                : n === 'image-id'
                  ? i.id
                  : undefined,
          ),
      );
      if (ids && list.length === 0)
        throw notFound('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`);
      return { imagesSet: { item: list.map(imageXml) } };
    },
    DeregisterImage: (p, region) => {
      const i = state.images.find(
        (x) => x.id === p.ImageId && x.region === region && x.state !== 'deregistered',
      );
      if (!i) throw notFound('InvalidAMIID.NotFound', `The image id '[${str(p.ImageId)}]' does not exist`);
      i.state = 'deregistered';
      return { return: true };
    },
    ModifyImageAttribute: (p, region) => {
      const i = state.images.find(
        (x) => x.id === p.ImageId && x.region === region && x.state !== 'deregistered',
      );
      if (!i) throw notFound('InvalidAMIID.NotFound', `The image id '[${str(p.ImageId)}]' does not exist`);
      const lp = p.LaunchPermission as
        | { Add?: { UserId?: string; Group?: string }[]; Remove?: { UserId?: string; Group?: string }[] }
        | undefined;
      for (const a of lp?.Add ?? [])
        if (!i.launchPermissions.some((l) => l.userId === a.UserId && l.group === a.Group))
          i.launchPermissions.push({
            ...(a.UserId ? { userId: a.UserId } : {}),
            ...(a.Group ? { group: a.Group } : {}),
          });
      for (const r of lp?.Remove ?? [])
        i.launchPermissions = i.launchPermissions.filter(
          (l) => !(l.userId === r.UserId && l.group === r.Group),
        );
      return { return: true };
    },
    ModifySnapshotAttribute: (p, region) => {
      const snap = state.snapshots.find((x) => x.id === p.SnapshotId && x.region === region);
      if (!snap)
        throw notFound('InvalidSnapshot.NotFound', `The snapshot '${str(p.SnapshotId)}' does not exist.`);
      const cv = p.CreateVolumePermission as
        | { Add?: { UserId?: string; Group?: string }[]; Remove?: { UserId?: string; Group?: string }[] }
        | undefined;
      let perms = snap.createVolumePermissions ?? [];
      for (const a of cv?.Add ?? [])
        if (!perms.some((l) => l.userId === a.UserId && l.group === a.Group))
          perms.push({ ...(a.UserId ? { userId: a.UserId } : {}), ...(a.Group ? { group: a.Group } : {}) });
      for (const r of cv?.Remove ?? [])
        perms = perms.filter((l) => !(l.userId === r.UserId && l.group === r.Group));
      snap.createVolumePermissions = perms;
      return { return: true };
    },
    DescribeSnapshotAttribute: (p, region) => {
      const snap = state.snapshots.find((x) => x.id === p.SnapshotId && x.region === region);
      if (!snap)
        throw notFound('InvalidSnapshot.NotFound', `The snapshot '${str(p.SnapshotId)}' does not exist.`);
      return { snapshotId: snap.id, createVolumePermission: { item: snap.createVolumePermissions ?? [] } };
    },
    DescribeImageAttribute: (p, region) => {
      const i = state.images.find(
        (x) => x.id === p.ImageId && x.region === region && x.state !== 'deregistered',
      );
      if (!i) throw notFound('InvalidAMIID.NotFound', `The image id '[${str(p.ImageId)}]' does not exist`);
      return { imageId: i.id, launchPermission: { item: i.launchPermissions } };
    },
    CopyImage: (p, region) => {
      const src = state.images.find(
        (x) => x.id === p.SourceImageId && x.region === p.SourceRegion && x.state !== 'deregistered',
      );
      if (!src)
        throw notFound('InvalidAMIID.NotFound', `The image id '[${str(p.SourceImageId)}]' does not exist`);
      const srcSnap = state.snapshots.find((s) => s.id === src.snapshotId)!;
      const snap: FakeSnapshot = {
        ...srcSnap,
        id: 'snap-' + randomBytes(8).toString('hex'),
        region,
        tags: new Map(),
        startTime: new Date(),
      };
      state.snapshots.push(snap);
      const img: FakeImage = {
        ...src,
        id: 'ami-' + randomBytes(8).toString('hex'),
        region,
        name: (p.Name as string | undefined) ?? src.name,
        description: (p.Description as string | undefined) ?? src.description,
        creationDate: new Date(),
        snapshotId: snap.id,
        tags: new Map(),
        launchPermissions: [],
      };
      state.images.push(img);
      return { imageId: img.id };
    },
  };
  const inst = instanceActions(opts.instances ?? {}, { error: notFound, filterMatch });
  state.ec2 = inst.state;
  Object.assign(ec2Actions, inst.actions);
  return state;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, type: string, text: string): void {
  res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomId() });
  res.end(text);
}

function ec2Error(res: ServerResponse, status: number, code: string, message: string): void {
  send(
    res,
    status,
    'text/xml',
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${randomId()}</RequestID></Response>`,
  );
}

function iamError(res: ServerResponse, status: number, code: string, message: string): void {
  send(
    res,
    status,
    'text/xml',
    `<ErrorResponse xmlns="${IAM_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${randomId()}</RequestId></ErrorResponse>`,
  );
}

/** The region of a SigV4-signed request (Credential=AKID/DATE/REGION/SERVICE/aws4_request). */
function regionOf(req: IncomingMessage): string {
  return /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? 'us-east-1';
}

/** Query-protocol parameters (`Filter.1.Value.2=x`) as nested objects and arrays. */
export function unflatten(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const parts = key.split('.');
    let cur: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      const next = parts[i + 1];
      const slot = /^\d+$/.test(part) ? Number(part) - 1 : part;
      if (last) {
        (cur as Record<string | number, unknown>)[slot] = value;
      } else {
        const container = (cur as Record<string | number, unknown>)[slot] ?? (/^\d+$/.test(next!) ? [] : {});
        (cur as Record<string | number, unknown>)[slot] = container;
        cur = container as Record<string, unknown>;
      }
    }
  }
  return root;
}

function toXml(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return esc(typeof v === 'string' ? v : JSON.stringify(v));
  let out = '';
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(val)) for (const x of val) out += `<${k}>${toXml(x)}</${k}>`;
    else out += `<${k}>${toXml(val)}</${k}>`;
  }
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function randomId(): string {
  return randomBytes(16).toString('hex');
}

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}
