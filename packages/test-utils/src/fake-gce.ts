// A local test server speaking the part of the Compute Engine REST API (compute/v1, JSON) that
// ore's GCE layer and kola's gcloud platform drive through the real @google-cloud/compute clients
// (REST transport, apiEndpoint pointed here): images (insert from a GCS tarball, get, family,
// list with filters, delete, deprecate, labels), licenses, instances (insert, get, list, delete,
// serial port output; behind each instance a backend the test supplies, e.g. a real qemu machine
// booted with the instance's user-data metadata, see fake-machines.ts), zones, regions, and global and zone OPERATIONS that stay RUNNING for a few
// polls before the change lands, as GCE's do. No GCE emulator is installable here. It KEEPS STATE,
// so reruns find what earlier runs made; requests are counted, can be throttled (429
// RESOURCE_EXHAUSTED) or refused (401); bearer tokens that are self-signed service-account JWTs
// are checked against the registered public keys.
import { createHash, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pendingWork, type FakeMachineBackend } from './fake-machines.js';
import { CallLog, listenOn, readJson, sendJson } from './http-fake.js';

export interface FakeGceImage {
  name: string;
  id: string;
  project: string;
  family?: string;
  description?: string;
  labels: Record<string, string>;
  licenses: string[];
  guestOsFeatures: { type: string }[];
  rawDisk?: { source: string };
  storageLocations: string[];
  status: 'PENDING' | 'READY' | 'FAILED';
  created: Date;
  /** images.deprecate's DeprecationStatus (state, replacement, the deprecated/obsolete/deleted times) */
  deprecated?: {
    state: string;
    replacement?: string;
    deprecated?: string;
    obsolete?: string;
    deleted?: string;
  };
  /** members of roles/compute.imageUser (setIamPolicy) */
  imageUsers: string[];
}

export interface FakeGceInstance {
  name: string;
  id: string;
  project: string;
  zone: string;
  status: 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED';
  machineType: string;
  sourceImage: string;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  nicType?: string;
  networkIP: string;
  natIP: string;
  created: Date;
  /** what getSerialPortOutput returns (tests append to it) */
  console: string;
  raw: Record<string, unknown>;
}

export interface FakeGceOperation {
  name: string;
  id: string;
  project: string;
  zone?: string;
  operationType: string;
  targetLink: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  pollsLeft: number;
  error?: { code: string; message: string };
  requestId?: string;
  /** applied when the operation finishes; returns an error to fail it */
  land: () => { code: string; message: string } | undefined;
  /** the operation stays RUNNING until this is true (a backend machine still stopping) */
  until?: () => boolean;
}

export interface FakeGceOptions {
  projects?: string[];
  zones?: string[];
  /** polls an operation stays RUNNING before it lands (default 2) */
  operationPolls?: number;
  /** license names per project that exist (default: project → ['flatcar-container-linux']) */
  licenses?: Record<string, string[]>;
  /** does an image's GCS tarball exist? (e.g. fake-gcs's object()); a missing one fails the insert */
  objectExists?: (bucket: string, name: string) => boolean;
  /** the addresses an instance gets (default 10.128.0.N and 203.0.113.N) */
  instanceAddress?: (inst: { name: string; zone: string }) => { internal?: string; external?: string };
  /**
   * What runs behind an instance (started with the `user-data` metadata item when the insert
   * lands; RUNNING once it answers, its addresses and returned labels then set; stopped by the
   * delete, whose operation ends when the machine is gone)
   */
  backend?: FakeMachineBackend;
}

/** The running fake and its state. */
export interface FakeGce {
  /** http://127.0.0.1:PORT — the compute apiEndpoint (REST paths under /compute/v1) */
  endpoint: string;
  images: FakeGceImage[];
  instances: FakeGceInstance[];
  /** every instance an insert made, deleted ones too (a deleted instance leaves `instances`) */
  inserted: FakeGceInstance[];
  operations: FakeGceOperation[];
  /** calls per method: `images.insert`, `globalOperations.get`, `instances.getSerialPortOutput`, ... */
  calls: Map<string, number>;
  /** answer the next N calls of a method with 429 RESOURCE_EXHAUSTED */
  throttle: Map<string, number>;
  /** answer every call with 401 UNAUTHENTICATED */
  rejectAuth: boolean;
  /** accept only JWTs signed by these keys (client_email → public key PEM); empty: any bearer */
  keys: Map<string, string>;
  /** names of the instances that still exist */
  liveInstances(): string[];
  /** waits for every backend start/stop under way */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
// Label keys and values as GCE takes them: keys start with a letter; both at most 63 of a-z 0-9 _ -.
const LABEL_KEY = /^[a-z][-_a-z0-9]{0,62}$/;
const LABEL_VALUE = /^[-_a-z0-9]{0,63}$/;

/** A label set's fingerprint, as setLabels wants it back (any stable hash does; GCE's is opaque). */
export function labelFingerprint(labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64').slice(0, 12);
}
const REGIONS_OF = (zone: string): string => zone.replace(/-[a-z]$/, '');

class GceHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly grpcStatus?: string,
  ) {
    super(message);
  }
}

/** Start the fake Compute Engine API on a free port. */
export async function startFakeGce(opts: FakeGceOptions = {}): Promise<FakeGce> {
  const projects = opts.projects ?? ['mantle-test'];
  const zones = opts.zones ?? ['us-central1-a', 'us-central1-b', 'europe-west1-b'];
  const regions = [...new Set(zones.map(REGIONS_OF))];
  const log = new CallLog();
  let endpoint = '';
  let seq = 0;
  const numericId = (): string => String(1_000_000_000_000 + ++seq * 7919);
  const work = pendingWork();
  const backend = opts.backend;
  const state: FakeGce = {
    endpoint: '',
    images: [],
    instances: [],
    inserted: [],
    operations: [],
    calls: log.calls,
    throttle: log.throttle,
    rejectAuth: false,
    keys: new Map(),
    liveInstances: () => state.instances.map((v) => v.name),
    settle: work.settle,
    close: async () => listening.close(),
  };
  const base = (p: string): string => `${endpoint}/compute/v1/projects/${p}`;
  const licensesOf = (p: string): string[] => opts.licenses?.[p] ?? ['flatcar-container-linux'];

  const imageJson = (i: FakeGceImage): Record<string, unknown> => ({
    kind: 'compute#image',
    id: i.id,
    creationTimestamp: i.created.toISOString(),
    name: i.name,
    ...(i.description ? { description: i.description } : {}),
    ...(i.family ? { family: i.family } : {}),
    sourceType: 'RAW',
    ...(i.rawDisk ? { rawDisk: { source: i.rawDisk.source, containerType: 'TAR' } } : {}),
    status: i.status,
    archiveSizeBytes: '1073741824',
    diskSizeGb: '8',
    licenses: i.licenses,
    guestOsFeatures: i.guestOsFeatures,
    storageLocations: i.storageLocations,
    ...(Object.keys(i.labels).length ? { labels: i.labels } : {}),
    // GCE returns the fingerprint whether or not there are labels
    labelFingerprint: labelFingerprint(i.labels),
    ...(i.deprecated ? { deprecated: i.deprecated } : {}),
    selfLink: `${base(i.project)}/global/images/${i.name}`,
  });

  const instanceJson = (v: FakeGceInstance): Record<string, unknown> => ({
    ...v.raw,
    kind: 'compute#instance',
    id: v.id,
    creationTimestamp: v.created.toISOString(),
    name: v.name,
    status: v.status,
    zone: `${base(v.project)}/zones/${v.zone}`,
    machineType: v.machineType,
    labels: v.labels,
    metadata: { items: Object.entries(v.metadata).map(([key, value]) => ({ key, value })) },
    networkInterfaces: [
      {
        name: 'nic0',
        network: `${base(v.project)}/global/networks/default`,
        networkIP: v.networkIP,
        ...(v.nicType ? { nicType: v.nicType } : {}),
        accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT', natIP: v.natIP }],
      },
    ],
    selfLink: `${base(v.project)}/zones/${v.zone}/instances/${v.name}`,
  });

  const opJson = (o: FakeGceOperation): Record<string, unknown> => ({
    kind: 'compute#operation',
    id: o.id,
    name: o.name,
    operationType: o.operationType,
    targetLink: o.targetLink,
    status: o.status,
    progress: o.status === 'DONE' ? 100 : 0,
    insertTime: new Date().toISOString(),
    ...(o.zone ? { zone: `${base(o.project)}/zones/${o.zone}` } : {}),
    ...(o.error ? { error: { errors: [o.error] }, httpErrorStatusCode: 400 } : {}),
    selfLink: `${base(o.project)}/${o.zone ? `zones/${o.zone}` : 'global'}/operations/${o.name}`,
  });

  const startOp = (
    project: string,
    zone: string | undefined,
    operationType: string,
    targetLink: string,
    requestId: string | undefined,
    land: FakeGceOperation['land'],
  ): FakeGceOperation => {
    // requestId makes a retried mutation idempotent: the same id gets the same operation
    const again = requestId ? state.operations.find((o) => o.requestId === requestId) : undefined;
    if (again) return again;
    const o: FakeGceOperation = {
      name: `operation-${Date.now()}-${randomBytes(6).toString('hex')}`,
      id: numericId(),
      project,
      ...(zone ? { zone } : {}),
      operationType,
      targetLink,
      status: 'RUNNING',
      pollsLeft: opts.operationPolls ?? 2,
      ...(requestId ? { requestId } : {}),
      land,
    };
    state.operations.push(o);
    return o;
  };

  const pollOp = (o: FakeGceOperation): void => {
    if (o.status === 'DONE') return;
    if (o.until && !o.until()) return;
    if (--o.pollsLeft > 0) return;
    const err = o.land();
    o.status = 'DONE';
    if (err) o.error = err;
  };

  /** `projects/P/global/images/N`, `.../images/family/F` or a full URL → the image. */
  const resolveImage = (ref: string, project: string): FakeGceImage | undefined => {
    const m = /(?:projects\/([^/]+)\/global\/images\/)?(?:family\/)?([^/]+)$/.exec(ref);
    if (!m) return undefined;
    const p = m[1] ?? project;
    const live = state.images.filter((i) => i.project === p && i.status === 'READY');
    if (ref.includes('/family/'))
      return live
        .filter((i) => i.family === m[2] && !i.deprecated)
        .sort((a, b) => b.created.getTime() - a.created.getTime())[0];
    return live.find((i) => i.name === m[2]);
  };

  // The instance's machine: STAGING while it boots, RUNNING once the backend has it up. A backend
  // that fails still leaves it RUNNING (GCE runs whatever the OS does); the console says why.
  const startBackend = (inst: FakeGceInstance): void => {
    inst.status = 'STAGING';
    work.track(
      backend!.start({ id: inst.name, userData: inst.metadata['user-data'] ?? '' }).then(
        (addr) => {
          if (inst.status !== 'STAGING') return;
          inst.natIP = addr.publicIp;
          inst.networkIP = addr.privateIp;
          Object.assign(inst.labels, addr.tags ?? {});
          inst.status = 'RUNNING';
        },
        (err: unknown) => {
          inst.console += `\nfake instance backend: ${String(err)}\n`;
          if (inst.status === 'STAGING') inst.status = 'RUNNING';
        },
      ),
    );
  };

  const checkAuth = (req: IncomingMessage): void => {
    if (state.rejectAuth)
      throw new GceHttpError(
        401,
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        'UNAUTHENTICATED',
      );
    const auth = String(req.headers.authorization ?? '');
    const m = /^Bearer (.+)$/.exec(auth);
    if (!m) throw new GceHttpError(401, 'required', 'Login Required.', 'UNAUTHENTICATED');
    if (state.keys.size === 0) return;
    const parts = m[1]!.split('.');
    const payload = parts.length === 3 ? safeJson(parts[1]!) : undefined;
    const key = payload && typeof payload.iss === 'string' ? state.keys.get(payload.iss) : undefined;
    const ok =
      key !== undefined &&
      createVerify('RSA-SHA256')
        .update(`${parts[0]}.${parts[1]}`)
        .verify(key, Buffer.from(parts[2]!, 'base64url'));
    if (!ok)
      throw new GceHttpError(
        401,
        'authError',
        'Request had invalid authentication credentials (the JWT is not signed by a known service account key).',
        'UNAUTHENTICATED',
      );
  };

  const notFound = (what: string): GceHttpError =>
    new GceHttpError(404, 'notFound', `The resource '${what}' was not found`, 'NOT_FOUND');

  const route = async (
    req: IncomingMessage,
    url: URL,
  ): Promise<{ method: string; status?: number; body: unknown }> => {
    const path = url.pathname;
    const q = url.searchParams;
    const verb = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    const proj = /^\/compute\/v1\/projects\/([^/]+)(\/.*)?$/.exec(path);
    if (!proj) throw notFound(path);
    const project = decodeURIComponent(proj[1]!);
    const rest = proj[2] ?? '';
    const method = methodName(verb, rest);
    if (log.count(method))
      throw new GceHttpError(
        429,
        'rateLimitExceeded',
        'Quota exceeded for quota metric "Queries" and limit "Queries per minute".',
        'RESOURCE_EXHAUSTED',
      );
    checkAuth(req);
    if (!projects.includes(project)) throw notFound(`projects/${project}`);
    const body = verb === 'POST' || verb === 'PATCH' ? await readJson(req) : {};
    const requestId = q.get('requestId') ?? undefined;

    // global operations
    if ((m = /^\/global\/operations\/([^/]+)(\/wait)?$/.exec(rest))) {
      const o = state.operations.find((x) => x.name === m![1] && x.project === project && !x.zone);
      if (!o) throw notFound(`projects/${project}/global/operations/${m[1]}`);
      pollOp(o);
      return { method, body: opJson(o) };
    }
    if ((m = /^\/zones\/([^/]+)\/operations\/([^/]+)(\/wait)?$/.exec(rest))) {
      const o = state.operations.find((x) => x.name === m![2] && x.project === project && x.zone === m![1]);
      if (!o) throw notFound(`projects/${project}/zones/${m[1]}/operations/${m[2]}`);
      pollOp(o);
      return { method, body: opJson(o) };
    }

    // zones and regions
    if (rest === '/zones')
      return {
        method,
        body: {
          items: zones.map((z) => ({
            name: z,
            status: 'UP',
            region: `${base(project)}/regions/${REGIONS_OF(z)}`,
          })),
        },
      };
    if ((m = /^\/zones\/([^/]+)$/.exec(rest))) {
      if (!zones.includes(m[1]!)) throw notFound(`projects/${project}/zones/${m[1]}`);
      return {
        method,
        body: {
          kind: 'compute#zone',
          name: m[1],
          status: 'UP',
          region: `${base(project)}/regions/${REGIONS_OF(m[1]!)}`,
        },
      };
    }
    if (rest === '/regions')
      return { method, body: { items: regions.map((r) => ({ name: r, status: 'UP' })) } };
    if ((m = /^\/regions\/([^/]+)$/.exec(rest))) {
      if (!regions.includes(m[1]!)) throw notFound(`projects/${project}/regions/${m[1]}`);
      return { method, body: { kind: 'compute#region', name: m[1], status: 'UP' } };
    }

    // licenses
    if ((m = /^\/global\/licenses\/([^/]+)$/.exec(rest))) {
      if (!licensesOf(project).includes(m[1]!)) throw notFound(`projects/${project}/global/licenses/${m[1]}`);
      return {
        method,
        body: { kind: 'compute#license', name: m[1], selfLink: `${base(project)}/global/licenses/${m[1]}` },
      };
    }

    // images
    if (rest === '/global/images' && verb === 'GET') {
      const all = state.images
        .filter((i) => i.project === project)
        .filter(gceFilter(q.get('filter') ?? ''))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const max = Number(q.get('maxResults') ?? 500);
      const start = Number(q.get('pageToken') ?? 0);
      const page = all.slice(start, start + max);
      return {
        method,
        body: {
          kind: 'compute#imageList',
          items: page.map(imageJson),
          ...(start + max < all.length ? { nextPageToken: String(start + max) } : {}),
        },
      };
    }
    if (rest === '/global/images' && verb === 'POST') {
      const b = body as {
        name?: string;
        family?: string;
        description?: string;
        labels?: Record<string, string>;
        licenses?: string[];
        guestOsFeatures?: { type: string }[];
        rawDisk?: { source?: string };
        storageLocations?: string[];
      };
      const name = String(b.name ?? '');
      if (!NAME.test(name))
        throw new GceHttpError(
          400,
          'invalid',
          `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?|[1-9][0-9]{0,19})'`,
          'INVALID_ARGUMENT',
        );
      const again = requestId ? state.operations.find((o) => o.requestId === requestId) : undefined;
      if (!again && state.images.some((i) => i.project === project && i.name === name))
        throw new GceHttpError(
          409,
          'alreadyExists',
          `The resource 'projects/${project}/global/images/${name}' already exists`,
          'ALREADY_EXISTS',
        );
      for (const loc of b.storageLocations ?? [])
        if (![...regions, 'us', 'eu', 'asia'].includes(loc))
          throw new GceHttpError(400, 'invalid', `Invalid storage location '${loc}'`, 'INVALID_ARGUMENT');
      for (const l of b.licenses ?? []) {
        const lm = /projects\/([^/]+)\/global\/licenses\/([^/]+)$/.exec(l);
        if (!lm || !licensesOf(lm[1]!).includes(lm[2]!))
          throw new GceHttpError(
            400,
            'invalid',
            `Invalid value for field 'resource.licenses': '${l}'`,
            'INVALID_ARGUMENT',
          );
      }
      let img: FakeGceImage | undefined;
      if (!again) {
        img = {
          name,
          id: numericId(),
          project,
          ...(b.family ? { family: b.family } : {}),
          ...(b.description ? { description: b.description } : {}),
          labels: { ...(b.labels ?? {}) },
          licenses: b.licenses ?? [],
          guestOsFeatures: b.guestOsFeatures ?? [],
          ...(b.rawDisk?.source ? { rawDisk: { source: b.rawDisk.source } } : {}),
          storageLocations: b.storageLocations ?? ['us'],
          status: 'PENDING',
          created: new Date(),
          imageUsers: [],
        };
        state.images.push(img);
      }
      const target = img;
      const op = startOp(
        project,
        undefined,
        'insert',
        `${base(project)}/global/images/${name}`,
        requestId,
        () => {
          if (!target) return undefined;
          const src =
            /^(?:https:\/\/storage\.googleapis\.com\/|gs:\/\/|https?:\/\/[^/]+\/(?:storage\/v1\/b\/)?)([^/]+)\/(.+)$/.exec(
              target.rawDisk?.source ?? '',
            );
          if (!src || (opts.objectExists && !opts.objectExists(src[1]!, decodeURIComponent(src[2]!)))) {
            state.images.splice(state.images.indexOf(target), 1);
            return {
              code: 'RESOURCE_NOT_FOUND',
              message: `The resource '${target.rawDisk?.source ?? '(no rawDisk.source)'}' was not found`,
            };
          }
          target.status = 'READY';
          return undefined;
        },
      );
      return { method, body: opJson(op) };
    }
    if ((m = /^\/global\/images\/family\/([^/]+)$/.exec(rest))) {
      const img = resolveImage(`projects/${project}/global/images/family/${m[1]}`, project);
      if (!img) throw notFound(`projects/${project}/global/images/family/${m[1]}`);
      return { method, body: imageJson(img) };
    }
    if ((m = /^\/global\/images\/([^/]+)(?:\/([A-Za-z]+))?$/.exec(rest))) {
      const name = m[1]!;
      const action = m[2];
      const img = state.images.find((i) => i.project === project && i.name === name);
      if (!img) throw notFound(`projects/${project}/global/images/${name}`);
      const link = `${base(project)}/global/images/${name}`;
      if (!action && verb === 'GET') return { method, body: imageJson(img) };
      if (!action && verb === 'DELETE') {
        const op = startOp(project, undefined, 'delete', link, requestId, () => {
          const at = state.images.indexOf(img);
          if (at >= 0) state.images.splice(at, 1);
          return undefined;
        });
        return { method, body: opJson(op) };
      }
      if (action === 'deprecate' && verb === 'POST') {
        // DeprecationStatus: state (an empty state means ACTIVE), replacement (an image URL or
        // partial URL that must exist), and optional RFC 3339 times of the later states
        const d = body as {
          state?: string;
          replacement?: string;
          deprecated?: string;
          obsolete?: string;
          deleted?: string;
        };
        const st = d.state || 'ACTIVE';
        if (!['ACTIVE', 'DEPRECATED', 'OBSOLETE', 'DELETED'].includes(st))
          throw new GceHttpError(
            400,
            'invalid',
            `Invalid value for field 'resource.state': '${d.state}'`,
            'INVALID_ARGUMENT',
          );
        if (d.replacement !== undefined && !resolveImage(d.replacement, project))
          throw new GceHttpError(
            400,
            'invalid',
            `Invalid value for field 'resource.replacement': '${d.replacement}'. The referenced image resource cannot be found.`,
            'INVALID_ARGUMENT',
          );
        for (const k of ['deprecated', 'obsolete', 'deleted'] as const)
          if (d[k] !== undefined && Number.isNaN(Date.parse(d[k])))
            throw new GceHttpError(
              400,
              'invalid',
              `Invalid value for field 'resource.${k}': '${d[k]}'. Must be an RFC 3339 timestamp.`,
              'INVALID_ARGUMENT',
            );
        const op = startOp(project, undefined, 'deprecate', link, requestId, () => {
          if (st === 'ACTIVE') delete img.deprecated;
          else
            img.deprecated = {
              state: st,
              ...(d.replacement ? { replacement: d.replacement } : {}),
              ...(d.deprecated ? { deprecated: d.deprecated } : {}),
              ...(d.obsolete ? { obsolete: d.obsolete } : {}),
              ...(d.deleted ? { deleted: d.deleted } : {}),
            };
          return undefined;
        });
        return { method, body: opJson(op) };
      }
      if (action === 'setLabels' && verb === 'POST') {
        // GlobalSetLabelsRequest: the whole new label set plus the fingerprint of the set it
        // replaces (from a get); a stale or missing fingerprint is 412 conditionNotMet.
        const l = body as { labels?: Record<string, string>; labelFingerprint?: string };
        if (l.labelFingerprint !== labelFingerprint(img.labels))
          throw new GceHttpError(
            412,
            'conditionNotMet',
            'Labels fingerprint either invalid or resource labels have changed',
            'FAILED_PRECONDITION',
          );
        for (const [k, v] of Object.entries(l.labels ?? {}))
          if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(String(v)))
            throw new GceHttpError(
              400,
              'invalid',
              `Invalid value for field 'labels': '${k}=${v}'. Label keys and values may contain only lower-case letters, digits, '_' and '-' (at most 63)`,
              'INVALID_ARGUMENT',
            );
        const op = startOp(project, undefined, 'setLabels', link, requestId, () => {
          img.labels = { ...(l.labels ?? {}) };
          return undefined;
        });
        return { method, body: opJson(op) };
      }
      if (action === 'getIamPolicy')
        return {
          method,
          body: {
            etag: 'BwX=',
            bindings: img.imageUsers.length
              ? [{ role: 'roles/compute.imageUser', members: img.imageUsers }]
              : [],
          },
        };
      if (action === 'setIamPolicy') {
        const p = body as { policy?: { bindings?: { role: string; members: string[] }[] } };
        img.imageUsers = (p.policy?.bindings ?? [])
          .filter((bd) => bd.role === 'roles/compute.imageUser')
          .flatMap((bd) => bd.members);
        return { method, body: { etag: 'BwY=', bindings: p.policy?.bindings ?? [] } };
      }
    }

    // instances
    if ((m = /^\/zones\/([^/]+)\/instances$/.exec(rest))) {
      const zone = m[1]!;
      if (!zones.includes(zone)) throw notFound(`projects/${project}/zones/${zone}`);
      if (verb === 'GET') {
        const items = state.instances
          .filter((v) => v.project === project && v.zone === zone)
          .filter(gceFilter(q.get('filter') ?? ''))
          .map(instanceJson);
        return { method, body: { kind: 'compute#instanceList', items } };
      }
      const b = body as {
        name?: string;
        machineType?: string;
        labels?: Record<string, string>;
        metadata?: { items?: { key: string; value: string }[] };
        disks?: { boot?: boolean; initializeParams?: { sourceImage?: string } }[];
        networkInterfaces?: { nicType?: string }[];
      };
      const name = String(b.name ?? '');
      if (!NAME.test(name))
        throw new GceHttpError(
          400,
          'invalid',
          `Invalid value for field 'resource.name': '${name}'`,
          'INVALID_ARGUMENT',
        );
      const again = requestId ? state.operations.find((o) => o.requestId === requestId) : undefined;
      if (!again && state.instances.some((v) => v.project === project && v.zone === zone && v.name === name))
        throw new GceHttpError(
          409,
          'alreadyExists',
          `The resource 'projects/${project}/zones/${zone}/instances/${name}' already exists`,
          'ALREADY_EXISTS',
        );
      if (!/zones\/[^/]+\/machineTypes\/[^/]+$/.test(b.machineType ?? ''))
        throw new GceHttpError(
          400,
          'invalid',
          `Invalid value for field 'resource.machineType': '${b.machineType}'`,
          'INVALID_ARGUMENT',
        );
      let inst: FakeGceInstance | undefined;
      if (!again) {
        const n = state.instances.length + 2;
        const addr = opts.instanceAddress?.({ name, zone }) ?? {};
        inst = {
          name,
          id: numericId(),
          project,
          zone,
          status: 'PROVISIONING',
          machineType: b.machineType!,
          sourceImage: b.disks?.find((d) => d.boot)?.initializeParams?.sourceImage ?? '',
          labels: { ...(b.labels ?? {}) },
          metadata: Object.fromEntries((b.metadata?.items ?? []).map((i) => [i.key, i.value])),
          ...(b.networkInterfaces?.[0]?.nicType ? { nicType: b.networkInterfaces[0].nicType } : {}),
          networkIP: addr.internal ?? `10.128.0.${n}`,
          natIP: addr.external ?? `203.0.113.${n}`,
          created: new Date(),
          console: '',
          raw: { disks: b.disks ?? [] },
        };
        state.instances.push(inst);
        state.inserted.push(inst);
      }
      const target = inst;
      const op = startOp(
        project,
        zone,
        'insert',
        `${base(project)}/zones/${zone}/instances/${name}`,
        requestId,
        () => {
          if (!target) return undefined;
          if (!resolveImage(target.sourceImage, project)) {
            state.instances.splice(state.instances.indexOf(target), 1);
            return {
              code: 'RESOURCE_NOT_FOUND',
              message: `The resource '${target.sourceImage}' was not found`,
            };
          }
          if (backend) startBackend(target);
          else {
            target.status = 'RUNNING';
            target.console += `SeaBIOS (version 1.8.2)\r\nBooting from Hard Disk 0...\r\n${name} login: `;
          }
          return undefined;
        },
      );
      return { method, body: opJson(op) };
    }
    if ((m = /^\/zones\/([^/]+)\/instances\/([^/]+)(?:\/([A-Za-z]+))?$/.exec(rest))) {
      const [zone, name, action] = [m[1]!, m[2]!, m[3]];
      const inst = state.instances.find((v) => v.project === project && v.zone === zone && v.name === name);
      if (!inst) throw notFound(`projects/${project}/zones/${zone}/instances/${name}`);
      if (!action && verb === 'GET') return { method, body: instanceJson(inst) };
      if (!action && verb === 'DELETE') {
        const wasLive = inst.status !== 'STOPPING';
        inst.status = 'STOPPING';
        let stopped = !backend || !wasLive;
        if (!stopped && backend)
          work.track(
            backend.stop({ id: inst.name, userData: inst.metadata['user-data'] ?? '' }).finally(() => {
              stopped = true;
            }),
          );
        const op = startOp(
          project,
          zone,
          'delete',
          `${base(project)}/zones/${zone}/instances/${name}`,
          requestId,
          () => {
            const at = state.instances.indexOf(inst);
            if (at >= 0) state.instances.splice(at, 1);
            return undefined;
          },
        );
        op.until ??= () => stopped;
        return { method, body: opJson(op) };
      }
      if (action === 'serialPort') {
        const start = Number(q.get('start') ?? 0);
        const machine = backend?.console
          ? await backend
              .console({ id: inst.name, userData: inst.metadata['user-data'] ?? '' })
              .catch(() => '')
          : '';
        const bytes = Buffer.from(machine + inst.console, 'utf8');
        return {
          method,
          body: {
            kind: 'compute#serialPortOutput',
            contents: bytes.subarray(Math.min(start, bytes.length)).toString('utf8'),
            start: String(Math.min(start, bytes.length)),
            next: String(bytes.length),
          },
        };
      }
    }
    throw notFound(path);
  };

  const listening = await listenOn(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', endpoint);
    try {
      const r = await route(req, url);
      sendJson(res, r.status ?? 200, r.body);
    } catch (err) {
      if (!(err instanceof GceHttpError)) throw err;
      sendJson(res, err.status, {
        error: {
          code: err.status,
          message: err.message,
          errors: [{ message: err.message, domain: 'global', reason: err.reason }],
          ...(err.grpcStatus ? { status: err.grpcStatus } : {}),
        },
      });
    }
  });
  endpoint = listening.endpoint;
  state.endpoint = endpoint;
  return state;
}

/** The method a request path names, as the client library calls it (for counting and throttling). */
function methodName(verb: string, rest: string): string {
  const rules: [RegExp, string, string][] = [
    [/^\/global\/operations\/[^/]+\/wait$/, 'POST', 'globalOperations.wait'],
    [/^\/global\/operations\/[^/]+$/, 'GET', 'globalOperations.get'],
    [/^\/zones\/[^/]+\/operations\/[^/]+\/wait$/, 'POST', 'zoneOperations.wait'],
    [/^\/zones\/[^/]+\/operations\/[^/]+$/, 'GET', 'zoneOperations.get'],
    [/^\/global\/images$/, 'GET', 'images.list'],
    [/^\/global\/images$/, 'POST', 'images.insert'],
    [/^\/global\/images\/family\/[^/]+$/, 'GET', 'images.getFromFamily'],
    [/^\/global\/images\/[^/]+$/, 'GET', 'images.get'],
    [/^\/global\/images\/[^/]+$/, 'DELETE', 'images.delete'],
    [/^\/global\/images\/[^/]+\/deprecate$/, 'POST', 'images.deprecate'],
    [/^\/global\/images\/[^/]+\/setLabels$/, 'POST', 'images.setLabels'],
    [/^\/global\/images\/[^/]+\/getIamPolicy$/, 'GET', 'images.getIamPolicy'],
    [/^\/global\/images\/[^/]+\/setIamPolicy$/, 'POST', 'images.setIamPolicy'],
    [/^\/global\/licenses\/[^/]+$/, 'GET', 'licenses.get'],
    [/^\/zones$/, 'GET', 'zones.list'],
    [/^\/zones\/[^/]+$/, 'GET', 'zones.get'],
    [/^\/regions$/, 'GET', 'regions.list'],
    [/^\/regions\/[^/]+$/, 'GET', 'regions.get'],
    [/^\/zones\/[^/]+\/instances$/, 'GET', 'instances.list'],
    [/^\/zones\/[^/]+\/instances$/, 'POST', 'instances.insert'],
    [/^\/zones\/[^/]+\/instances\/[^/]+$/, 'GET', 'instances.get'],
    [/^\/zones\/[^/]+\/instances\/[^/]+$/, 'DELETE', 'instances.delete'],
    [/^\/zones\/[^/]+\/instances\/[^/]+\/serialPort$/, 'GET', 'instances.getSerialPortOutput'],
  ];
  return rules.find(([re, v]) => v === verb && re.test(rest))?.[2] ?? `${verb} ${rest}`;
}

/**
 * The subset of GCE's list filter syntax ore sends: terms `field = value`, `field != value`,
 * `field eq regex`, `field ne regex`, optionally parenthesized, joined by AND or spaces; fields
 * `name`, `family`, `status`, `labels.KEY`.
 */
function gceFilter(
  filter: string,
): (r: { name: string; family?: string; status?: string; labels: Record<string, string> }) => boolean {
  const terms = [...filter.matchAll(/\(?\s*([\w.-]+)\s*(=|!=|eq|ne)\s*"?([^")\s]+)"?\s*\)?/g)];
  return (r) =>
    terms.every(([, field, op, value]) => {
      const v =
        field === 'name'
          ? r.name
          : field === 'family'
            ? r.family
            : field === 'status'
              ? r.status
              : field!.startsWith('labels.')
                ? r.labels[field!.slice(7)]
                : undefined;
      const hit = op === 'eq' || op === 'ne' ? new RegExp(`^(?:${value})$`).test(v ?? '') : v === value;
      return op === '!=' || op === 'ne' ? !hit : hit;
    });
}

function safeJson(b64: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(b64, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Write a service-account JSON key (a fresh RSA key) to `file` (0600) and register its public key
 * with the fake, so only JWTs signed by it are accepted from then on.
 */
export async function writeServiceAccountKey(
  gce: Pick<FakeGce, 'keys'>,
  file: string,
  o: { project: string; email: string },
): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  gce.keys.set(o.email, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  await writeFile(
    file,
    JSON.stringify({
      type: 'service_account',
      project_id: o.project,
      private_key_id: 'k1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: o.email,
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
    { mode: 0o600 },
  );
}
