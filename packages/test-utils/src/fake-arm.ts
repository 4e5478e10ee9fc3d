// A local test server speaking the documented Azure Resource Manager REST protocol for the part
// ore drives through the real @azure/arm-compute client: Microsoft.Compute images, galleries,
// gallery images and gallery image versions (PUT/GET/LIST/DELETE under
// /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/...), api-version required on
// every call, LONG-RUNNING OPERATIONS as ARM has them (201/202 with Azure-AsyncOperation and
// Location headers, the operation staying InProgress for a few polls before the change lands), and
// the Microsoft identity platform's OAuth2 client-credentials token endpoint
// (POST /{tenant}/oauth2/v2.0/token) issuing the bearer tokens ARM then checks. It is a fake of
// the protocol, not Azure: no emulator of ARM is installable here. HTTPS only (the SDK's bearer
// policy refuses plain HTTP), with a throwaway certificate. It KEEPS STATE, so reruns see what
// earlier runs made; calls are counted per operation and can be throttled (429 + Retry-After).
// For kola's azure platform it also keeps Microsoft.Network virtual networks (with subnets),
// public IP addresses and NICs, refusing deletes of what is still in use as ARM does, and VM
// sizes per location; behind each VM runs a backend the test supplies (fake-machines.ts, e.g. a
// real qemu machine booted with the decoded customData), the VM provisioning until it is up.
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pendingWork, type FakeMachineBackend } from './fake-machines.js';
import { checkGallerySharing, routeGallerySharing } from './fake-arm-sharing.js';
import {
  CallLog,
  listenOn,
  readBody,
  readJson,
  selfSignedCert,
  sendJson,
  type TestCert,
} from './http-fake.js';

/** A resource as ARM returns it. */
export interface FakeArmResource {
  id: string;
  name: string;
  type: string;
  location: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
}

interface Operation {
  id: string;
  pollsLeft: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  land: () => { code: string; message: string } | undefined;
  /** the operation stays InProgress until this is true (a backend machine still starting/stopping) */
  gate?: () => boolean;
}

export interface FakeArmOptions {
  /** subscription id → resource groups that exist in it */
  subscriptions?: Record<string, string[]>;
  /** service principals that may get tokens: clientId → clientSecret */
  clients?: Record<string, string>;
  /** polls an operation stays InProgress before it lands (default 1) */
  operationPolls?: number;
  /** does a VHD page blob exist? (e.g. a stat against Azurite); a missing one is refused */
  blobExists?: (uri: string) => Promise<boolean>;
  /** items per page of a listing (default 2: listings page through nextLink) */
  pageSize?: number;
  /** what runs behind each VM (default: nothing, the VM runs at once) */
  backend?: FakeMachineBackend;
  /** location → VM sizes offered there (default westus and eastus with a few D/B sizes) */
  locations?: Record<string, string[]>;
}

/** The running fake and its state. */
export interface FakeArm {
  /** https://127.0.0.1:PORT: the resourceManagerEndpointUrl and activeDirectoryEndpointUrl */
  endpoint: string;
  /** the certificate's PEM file (NODE_EXTRA_CA_CERTS for child processes) */
  certFile: string;
  /** the PEM certificate (an https.Agent's `ca` in-process) */
  cert: string;
  /** resources by lower-cased id */
  resources: Map<string, FakeArmResource>;
  /** every resource as a PUT made it (kept after deletes, so a test sees what a run sent) */
  created: FakeArmResource[];
  /** calls per operation: `token`, `images.put`, `versions.list`, `operations.get`, ... */
  calls: CallLog;
  /**
   * Write an SDK auth file (what `az ad sp create-for-rbac --sdk-auth` prints, mode 0600) whose
   * endpoints point here; returns its path.
   */
  writeAuthFile(
    path: string,
    creds: { clientId: string; clientSecret: string; subscriptionId: string },
  ): Promise<string>;
  /** serial console text per VM name (tests append; served through boot diagnostics' SAS URL) */
  consoles: Map<string, string>;
  /** the resource, by its id (case-insensitive), if it exists */
  get(id: string): FakeArmResource | undefined;
  /** how many VMs may exist at once (undefined: no limit); a create beyond is ARM's quota error */
  quota: { vms: number | undefined };
  /** waits for every backend start/stop under way */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** The resource types this fake knows: URL segments after providers/<provider>. */
const KINDS = [
  { key: 'images', segs: ['images'], type: 'Microsoft.Compute/images' },
  { key: 'galleries', segs: ['galleries'], type: 'Microsoft.Compute/galleries' },
  { key: 'galleryImages', segs: ['galleries', 'images'], type: 'Microsoft.Compute/galleries/images' },
  {
    key: 'versions',
    segs: ['galleries', 'images', 'versions'],
    type: 'Microsoft.Compute/galleries/images/versions',
  },
  { key: 'virtualMachines', segs: ['virtualMachines'], type: 'Microsoft.Compute/virtualMachines' },
  { key: 'virtualNetworks', segs: ['virtualNetworks'], type: 'Microsoft.Network/virtualNetworks' },
  { key: 'subnets', segs: ['virtualNetworks', 'subnets'], type: 'Microsoft.Network/virtualNetworks/subnets' },
  { key: 'publicIPAddresses', segs: ['publicIPAddresses'], type: 'Microsoft.Network/publicIPAddresses' },
  { key: 'networkInterfaces', segs: ['networkInterfaces'], type: 'Microsoft.Network/networkInterfaces' },
] as const;
type Kind = (typeof KINDS)[number];

const NAME_RULES: Record<Kind['key'], RegExp> = {
  images: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$/,
  // galleries allow no hyphen (documented naming rule)
  galleries: /^[A-Za-z0-9](?:[A-Za-z0-9._]{0,78}[A-Za-z0-9])?$/,
  galleryImages: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9])?$/,
  versions: /^\d{1,10}\.\d{1,10}\.\d{1,10}$/,
  virtualMachines: /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/,
  virtualNetworks: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_])?$/,
  subnets: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$/,
  publicIPAddresses: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$/,
  networkInterfaces: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$/,
};

const DEFAULT_SIZES = [
  'Standard_B1s',
  'Standard_B2s',
  'Standard_D2s_v3',
  'Standard_D2s_v5',
  'Standard_D4s_v5',
];

class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Start the fake on a free port of 127.0.0.1 (HTTPS). */
export async function startFakeArm(opts: FakeArmOptions = {}): Promise<FakeArm> {
  const subs = new Map(
    Object.entries(opts.subscriptions ?? { '00000000-0000-0000-0000-000000000001': ['mantle-rg'] }).map(
      ([s, groups]) => [s.toLowerCase(), new Set(groups.map((g) => g.toLowerCase()))],
    ),
  );
  const clients = opts.clients ?? { 'mantle-client': 'mantle-secret' };
  const polls = opts.operationPolls ?? 1;
  const pageSize = opts.pageSize ?? 2;
  const resources = new Map<string, FakeArmResource>();
  const operations = new Map<string, Operation>();
  const tokens = new Set<string>();
  const consoles = new Map<string, string>();
  const calls = new CallLog();
  const cert: TestCert = await selfSignedCert();
  let endpoint = '';
  const work = pendingWork();
  const backend = opts.backend;
  const locations = new Map(
    Object.entries(opts.locations ?? { westus: DEFAULT_SIZES, eastus: DEFAULT_SIZES }).map(([l, sizes]) => [
      l.toLowerCase(),
      sizes,
    ]),
  );
  const quota: { vms: number | undefined } = { vms: undefined };
  const created: FakeArmResource[] = [];
  let nextIp = 4;

  const newOperation = (land: Operation['land']): Operation => {
    const op: Operation = { id: randomUUID(), pollsLeft: polls, status: 'InProgress', land };
    operations.set(op.id, op);
    if (polls <= 0) advance(op);
    return op;
  };
  const advance = (op: Operation): void => {
    if (op.status !== 'InProgress') return;
    if (op.gate && !op.gate()) return;
    if (op.pollsLeft-- > 0) return;
    const err = op.land();
    op.status = err ? 'Failed' : 'Succeeded';
    if (err) op.error = err;
  };
  const lroHeaders = (op: Operation, sub: string, apiVersion: string): Record<string, string> => ({
    'azure-asyncoperation': `${endpoint}/subscriptions/${sub}/providers/Microsoft.Compute/locations/fake/operations/${op.id}?api-version=${apiVersion}`,
    location: `${endpoint}/subscriptions/${sub}/providers/Microsoft.Compute/locations/fake/operationResults/${op.id}?api-version=${apiVersion}`,
    'retry-after': '0',
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', endpoint);
    const method = req.method ?? 'GET';
    // The identity platform's token endpoint (client-credentials grant, form-encoded).
    const tok = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tok && method === 'POST') {
      calls.count('token');
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const id = form.get('client_id') ?? '';
      if (form.get('grant_type') !== 'client_credentials' || clients[id] === undefined) {
        sendJson(res, 400, {
          error: 'unauthorized_client',
          error_description: `AADSTS700016: unknown client ${id}`,
        });
        return;
      }
      if (clients[id] !== form.get('client_secret')) {
        sendJson(res, 401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        });
        return;
      }
      const t = `fake-arm.${randomBytes(12).toString('hex')}`;
      tokens.add(t);
      sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: t });
      return;
    }
    // boot diagnostics' serial log as a SAS blob URL would serve it: no bearer token
    const diag = /^\/bootdiagnostics\/([^/]+)\/serial\.log$/.exec(url.pathname);
    if (diag && method === 'GET') {
      const vmName = decodeURIComponent(diag[1]!);
      const vm = [...resources.values()].find((r) => r.type === KINDS[4].type && r.name === vmName);
      const machine = vm && backend?.console ? await backend.console(fakeMachine(vm)).catch(() => '') : '';
      const text = machine ? (consoles.get(vmName) ?? '') + machine : consoles.get(vmName);
      if (text === undefined)
        return sendJson(res, 404, { error: { code: 'BlobNotFound', message: 'no log' } });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(text);
      return;
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!auth || !tokens.has(auth[1]!)) {
      sendJson(
        res,
        401,
        { error: { code: 'InvalidAuthenticationToken', message: 'The access token is missing or invalid.' } },
        {
          'www-authenticate':
            'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"',
        },
      );
      return;
    }
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      sendJson(res, 400, {
        error: {
          code: 'MissingApiVersionParameter',
          message: 'The api-version query parameter (?api-version=) is required for all requests.',
        },
      });
      return;
    }
    try {
      await route(req, res, url, method, apiVersion);
    } catch (err) {
      if (!(err instanceof ArmError)) throw err;
      sendJson(res, err.status, { error: { code: err.code, message: err.message } });
    }
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    apiVersion: string,
  ): Promise<void> => {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0]?.toLowerCase() !== 'subscriptions' || !parts[1])
      throw new ArmError(404, 'InvalidResourceType', url.pathname);
    const sub = parts[1].toLowerCase();
    if (!subs.has(sub))
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${parts[1]}' could not be found.`);
    // operation status: /subscriptions/s/providers/Microsoft.Compute/locations/l/operations[Results]/id
    if (parts[2]?.toLowerCase() === 'providers' && parts[4] === 'locations' && parts[6] === 'vmSizes') {
      calls.count('virtualMachineSizes.list');
      const sizes = locations.get(parts[5]!.toLowerCase());
      if (!sizes) throw noLocation(parts[5]!, 'virtualMachines');
      sendJson(res, 200, {
        value: sizes.map((name) => ({ name, numberOfCores: 2, memoryInMB: 4096 })),
      });
      return;
    }
    if (parts[2]?.toLowerCase() === 'providers' && parts[4] === 'locations') {
      const op = operations.get(parts[7] ?? '');
      if (!op) throw new ArmError(404, 'NotFound', `no operation ${parts[7]}`);
      if (parts[6] === 'operations') {
        if (calls.count('operations.get')) return throttled(res);
        advance(op);
        sendJson(res, 200, {
          name: op.id,
          status: op.status,
          startTime: new Date().toISOString(),
          ...(op.status !== 'InProgress' ? { endTime: new Date().toISOString() } : {}),
          ...(op.error ? { error: op.error } : {}),
        });
      } else {
        calls.count('operationResults.get');
        if (op.status === 'InProgress') sendJson(res, 202, undefined, lroHeaders(op, sub, apiVersion));
        else if (op.error) sendJson(res, 400, { error: op.error });
        else sendJson(res, 204);
      }
      return;
    }
    if (parts[2]?.toLowerCase() !== 'resourcegroups' || !parts[3])
      throw new ArmError(404, 'InvalidResourceType', url.pathname);
    const group = parts[3];
    if (!subs.get(sub)!.has(group.toLowerCase()))
      throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
    const provider = ['Microsoft.Compute', 'Microsoft.Network'].find(
      (p) => p.toLowerCase() === parts[5]?.toLowerCase(),
    );
    if (parts[4]?.toLowerCase() !== 'providers' || !provider)
      throw new ArmError(404, 'InvalidResourceType', url.pathname);
    // the rest alternates type/name: images/N, galleries/G/images/I/versions/V (a trailing type = list)
    const rest = parts.slice(6);
    if (
      rest.length === 3 &&
      rest[0] === 'virtualMachines' &&
      rest[2] === 'retrieveBootDiagnosticsData' &&
      method === 'POST'
    ) {
      calls.count('virtualMachines.retrieveBootDiagnosticsData');
      const vmId = `/subscriptions/${parts[1]}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/${rest[1]}`;
      if (!resources.get(vmId.toLowerCase())) throw notFound(KINDS[4], rest[1]!, group);
      sendJson(res, 200, {
        serialConsoleLogBlobUri: `${endpoint}/bootdiagnostics/${encodeURIComponent(rest[1]!)}/serial.log?sv=fake&sig=fake`,
      });
      return;
    }
    // gallery PATCH and the gallery share action (community galleries): fake-arm-sharing.ts
    const shared =
      provider === 'Microsoft.Compute' &&
      (await routeGallerySharing({
        req,
        res,
        method,
        rest,
        galleryId: (g) =>
          `/subscriptions/${parts[1]}/resourceGroups/${group}/providers/Microsoft.Compute/galleries/${g}`,
        resources,
        calls,
        fail: (status, code, message) => {
          throw new ArmError(status, code, message);
        },
        startOperation: (land) => lroHeaders(newOperation(land), sub, apiVersion),
        throttled,
      }));
    if (shared) return;
    const segs = rest.filter((_, i) => i % 2 === 0);
    const kind = KINDS.find(
      (k) =>
        k.type.startsWith(`${provider}/`) &&
        k.segs.length === segs.length &&
        k.segs.every((s, i) => s === segs[i]),
    );
    if (!kind) throw new ArmError(404, 'InvalidResourceType', `no resource type ${segs.join('/')}`);
    const base = `/subscriptions/${parts[1]}/resourceGroups/${group}/providers/${provider}`;
    const list = rest.length % 2 === 1;
    const id = `${base}/${rest.join('/')}`;
    const parentId = `${base}/${rest.slice(0, list ? -1 : -2).join('/')}`;
    const parent = kind.segs.length > 1 ? resources.get(parentId.toLowerCase()) : undefined;
    if (kind.segs.length > 1 && !parent)
      throw new ArmError(
        404,
        'ParentResourceNotFound',
        `Can not perform requested operation on nested resource. Parent resource '${parentId.split('/').slice(-1)[0]}' not found.`,
      );
    const op = `${kind.key}.${list ? 'list' : method.toLowerCase()}`;
    if (calls.count(op)) return throttled(res);

    if (list && method === 'GET') {
      const prefix = `${id.toLowerCase()}/`;
      const all = [...resources.entries()]
        .filter(
          ([k, r]) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/') && r.type === kind.type,
        )
        .map(([, r]) => r)
        .sort((a, b) => a.name.localeCompare(b.name));
      const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
      const page = all.slice(skip, skip + pageSize);
      const next = skip + pageSize < all.length;
      const nextUrl = new URL(url.href);
      nextUrl.searchParams.set('$skiptoken', String(skip + pageSize));
      sendJson(res, 200, { value: page, ...(next ? { nextLink: nextUrl.href } : {}) });
      return;
    }
    if (list) throw new ArmError(405, 'MethodNotAllowed', `${method} on a collection`);
    const name = rest.at(-1)!;
    const existing = resources.get(id.toLowerCase());
    if (method === 'GET') {
      if (!existing) throw notFound(kind, name, group);
      if (kind.key === 'virtualMachines' && url.searchParams.get('$expand') === 'instanceView') {
        const state =
          {
            Succeeded: 'running',
            Deleting: 'stopping',
            Failed: 'stopped',
          }[String(existing.properties.provisioningState)] ?? 'starting';
        const instanceView = {
          statuses: [
            { code: `ProvisioningState/${String(existing.properties.provisioningState).toLowerCase()}` },
            { code: `PowerState/${state}` },
          ],
        };
        sendJson(res, 200, { ...existing, properties: { ...existing.properties, instanceView } });
        return;
      }
      sendJson(res, 200, existing);
      return;
    }
    if (method === 'DELETE') {
      if (!existing) return sendJson(res, 204);
      if (existing.properties.provisioningState === 'Deleting') {
        // a second delete of a resource on its way out joins the first
        const o = newOperation(() => undefined);
        o.gate = () => !resources.has(id.toLowerCase());
        return sendJson(res, 202, undefined, lroHeaders(o, sub, apiVersion));
      }
      checkNotInUse(existing);
      // a vnet's subnets go with it (checkNotInUse refused one a NIC is in)
      if (kind.key === 'virtualNetworks')
        for (const k of [...resources.keys()])
          if (k.startsWith(`${id.toLowerCase()}/subnets/`)) resources.delete(k);
      const children = [...resources.keys()].some((k) => k.startsWith(`${id.toLowerCase()}/`));
      if (children)
        throw new ArmError(
          409,
          'CannotDeleteResource',
          `Can not delete resource before nested resources are deleted.`,
        );
      existing.properties.provisioningState = 'Deleting';
      let stopped = true;
      if (kind.key === 'virtualMachines') {
        detachNics(existing);
        if (backend) {
          stopped = false;
          const p = backend.stop(fakeMachine(existing)).finally(() => (stopped = true));
          work.track(p);
        }
      }
      const o = newOperation(() => {
        resources.delete(id.toLowerCase());
        return undefined;
      });
      o.gate = () => stopped;
      sendJson(res, 202, undefined, lroHeaders(o, sub, apiVersion));
      return;
    }
    if (method !== 'PUT') throw new ArmError(405, 'MethodNotAllowed', method);
    if (!NAME_RULES[kind.key].test(name))
      throw new ArmError(
        400,
        'InvalidParameter',
        `The resource name '${name}' is not valid for ${kind.type}.`,
      );
    const body = await readJson<{
      location?: string;
      tags?: Record<string, string>;
      properties?: Record<string, unknown>;
    }>(req);
    if (!body.location)
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const props = { ...(body.properties ?? {}) };
    await validate(kind, props, parent, existing);
    if (kind.key === 'virtualMachines') checkVmPlacement(body.location, props, existing);
    const resource: FakeArmResource = {
      id,
      name,
      type: kind.type,
      location: body.location,
      tags: body.tags ?? {},
      properties: { ...props, provisioningState: existing ? 'Updating' : 'Creating' },
    };
    if (kind.key === 'versions') {
      const pp = (props.publishingProfile ?? {}) as Record<string, unknown>;
      resource.properties.publishingProfile = {
        ...pp,
        publishedDate:
          (existing?.properties.publishingProfile as { publishedDate?: string } | undefined)?.publishedDate ??
          new Date().toISOString(),
      };
    }
    resources.set(id.toLowerCase(), resource);
    created.push(structuredClone(resource));
    if (kind.type.startsWith('Microsoft.Network/')) placeNetwork(kind, resource, id);
    if (kind.key === 'virtualMachines') {
      attachNics(resource);
      // The VM provisions while its machine boots: Succeeded (and running) once the backend has it up.
      const o = newOperation(() =>
        resource.properties.provisioningState === 'Failed'
          ? { code: 'VMProvisioningFailed', message: `VM ${name} failed to start` }
          : undefined,
      );
      o.gate = () => resource.properties.provisioningState !== 'Creating';
      startMachine(resource);
      sendJson(res, existing ? 200 : 201, resource, lroHeaders(o, sub, apiVersion));
      return;
    }
    const o = newOperation(() => {
      resource.properties.provisioningState = 'Succeeded';
      return undefined;
    });
    sendJson(res, existing ? 200 : 201, resource, lroHeaders(o, sub, apiVersion));
  };

  const ofType = (key: Kind['key']): FakeArmResource[] =>
    [...resources.values()].filter((r) => r.type === KINDS.find((k) => k.key === key)!.type);
  const ipConfigs = (nic: FakeArmResource): { properties?: Record<string, unknown> }[] =>
    (nic.properties.ipConfigurations as { properties?: Record<string, unknown> }[] | undefined) ?? [];
  const refId = (x: unknown): string => ((x as { id?: string } | undefined)?.id ?? '').toLowerCase();
  const vmNics = (vm: FakeArmResource): FakeArmResource[] =>
    (
      ((vm.properties.networkProfile as { networkInterfaces?: { id?: string }[] } | undefined)
        ?.networkInterfaces ?? []) as { id?: string }[]
    )
      .map((n) => resources.get((n.id ?? '').toLowerCase()))
      .filter((n): n is FakeArmResource => n !== undefined);

  /** What a Network PUT makes besides itself: a vnet's subnets, a NIC's private address. */
  const placeNetwork = (kind: Kind, r: FakeArmResource, id: string): void => {
    if (kind.key === 'virtualNetworks') {
      const subnets =
        (r.properties.subnets as { name?: string; properties?: Record<string, unknown> }[]) ?? [];
      r.properties.subnets = subnets.map((sn) => {
        const sid = `${id}/subnets/${sn.name}`;
        const child: FakeArmResource = {
          id: sid,
          name: sn.name ?? '',
          type: KINDS[6].type,
          location: r.location,
          tags: {},
          properties: { ...(sn.properties ?? {}), provisioningState: 'Succeeded' },
        };
        resources.set(sid.toLowerCase(), child);
        return { id: sid, name: sn.name, properties: child.properties };
      });
    }
    if (kind.key === 'publicIPAddresses') r.properties.ipAddress = `203.0.113.${nextIp++ % 250}`;
    if (kind.key === 'networkInterfaces') {
      r.properties.ipConfigurations = ipConfigs(r).map((c, i) => ({
        ...c,
        id: `${id}/ipConfigurations/${(c as { name?: string }).name ?? i}`,
        properties: {
          ...c.properties,
          privateIPAddress: `10.0.0.${nextIp++ % 250}`,
          provisioningState: 'Succeeded',
        },
      }));
    }
  };

  const attachNics = (vm: FakeArmResource): void => {
    for (const nic of vmNics(vm)) nic.properties.virtualMachine = { id: vm.id };
  };
  const detachNics = (vm: FakeArmResource): void => {
    for (const nic of vmNics(vm)) delete nic.properties.virtualMachine;
  };

  /** ARM refuses deleting what another resource still uses. */
  const checkNotInUse = (r: FakeArmResource): void => {
    const key = r.id.toLowerCase();
    if (r.type === KINDS[8].type && r.properties.virtualMachine)
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${r.id} is used by existing resource ${refId(r.properties.virtualMachine)}. In order to delete the network interface, it must be dissociated from the resource.`,
      );
    const nics = ofType('networkInterfaces').flatMap((n) =>
      ipConfigs(n).map((c) => ({ n, c: c.properties ?? {} })),
    );
    if (r.type === KINDS[7].type) {
      const user = nics.find(({ c }) => refId(c.publicIPAddress) === key);
      if (user)
        throw new ArmError(
          400,
          'PublicIPAddressCannotBeDeleted',
          `Public IP address ${r.id} can not be deleted since it is still allocated to resource ${user.n.id}.`,
        );
    }
    if (r.type === KINDS[5].type) {
      const user = nics.find(({ c }) => refId(c.subnet).startsWith(`${key}/subnets/`));
      if (user)
        throw new ArmError(
          400,
          'InUseSubnetCannotBeDeleted',
          `Subnet ${refId(user.c.subnet)} is in use by ${user.n.id} and cannot be deleted.`,
        );
    }
  };

  /** The location and size must be offered; a new VM beyond the quota is refused as ARM does. */
  const checkVmPlacement = (
    location: string,
    props: Record<string, unknown>,
    existing: FakeArmResource | undefined,
  ): void => {
    const sizes = locations.get(location.toLowerCase());
    if (!sizes) throw noLocation(location, 'virtualMachines');
    const size = (props.hardwareProfile as { vmSize?: string } | undefined)?.vmSize ?? '';
    if (!sizes.includes(size))
      throw new ArmError(
        409,
        'SkuNotAvailable',
        `The requested VM size '${size}' is currently not available in location '${location}'.`,
      );
    if (!existing && quota.vms !== undefined && ofType('virtualMachines').length >= quota.vms)
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Location: ${location}, Current Limit: ${quota.vms * 2}, Current Usage: ${quota.vms * 2}, Additional Required: 2.`,
      );
    for (const n of ((props.networkProfile as { networkInterfaces?: { id?: string }[] } | undefined)
      ?.networkInterfaces ?? []) as { id?: string }[]) {
      const nic = resources.get((n.id ?? '').toLowerCase());
      if (!nic)
        throw new ArmError(
          400,
          'InvalidResourceReference',
          `Resource ${n.id} referenced by the VM was not found.`,
        );
      if (
        nic.properties.virtualMachine &&
        (!existing || refId(nic.properties.virtualMachine) !== existing.id.toLowerCase())
      )
        throw new ArmError(400, 'NicInUse', `Network interface ${n.id} is used by another VM.`);
    }
  };

  /** Start the VM's backend machine; its addresses go to the VM's NIC and public IP. */
  const startMachine = (vm: FakeArmResource): void => {
    const started = backend ? backend.start(fakeMachine(vm)) : Promise.resolve(undefined);
    const p = started.then(
      (up) => {
        if (vm.properties.provisioningState !== 'Creating') return;
        if (up) {
          Object.assign(vm.tags, up.tags ?? {});
          for (const nic of vmNics(vm))
            for (const c of ipConfigs(nic)) {
              c.properties = { ...c.properties, privateIPAddress: up.privateIp };
              const ip = resources.get(refId(c.properties.publicIPAddress));
              if (ip) ip.properties.ipAddress = up.publicIp;
            }
        }
        vm.properties.provisioningState = 'Succeeded';
      },
      (err: unknown) => {
        consoles.set(vm.name, `${consoles.get(vm.name) ?? ''}\nfake VM backend: ${String(err)}\n`);
        if (vm.properties.provisioningState === 'Creating') vm.properties.provisioningState = 'Failed';
      },
    );
    work.track(p);
  };

  /** What ARM checks synchronously of each body (the fields ore sends). */
  const validate = async (
    kind: Kind,
    props: Record<string, unknown>,
    parent: FakeArmResource | undefined,
    existing: FakeArmResource | undefined,
  ): Promise<void> => {
    const need = (cond: unknown, field: string, what: string): void => {
      if (!cond)
        throw new ArmError(
          400,
          'InvalidParameter',
          `Required parameter '${field}' is missing or invalid: ${what}.`,
        );
    };
    const sp = (props.storageProfile ?? {}) as Record<string, Record<string, unknown> | undefined>;
    if (kind.key === 'images') {
      const os = sp.osDisk ?? {};
      need(['Linux', 'Windows'].includes(os.osType as string), 'osDisk.osType', 'Linux or Windows');
      need(
        ['Generalized', 'Specialized'].includes(os.osState as string),
        'osDisk.osState',
        'Generalized or Specialized',
      );
      need(typeof os.blobUri === 'string', 'osDisk.blobUri', 'the VHD page blob');
      if (opts.blobExists && !(await opts.blobExists(os.blobUri as string)))
        throw new ArmError(
          400,
          'InvalidParameter',
          `The blob ${String(os.blobUri)} does not exist or is not a page blob.`,
        );
    }
    if (kind.key === 'galleries')
      checkGallerySharing(props, existing, (status, code, message) => {
        throw new ArmError(status, code, message);
      });
    if (kind.key === 'galleryImages') {
      need(['Linux', 'Windows'].includes(props.osType as string), 'osType', 'Linux or Windows');
      need(
        ['Generalized', 'Specialized'].includes(props.osState as string),
        'osState',
        'Generalized or Specialized',
      );
      const idf = (props.identifier ?? {}) as Record<string, unknown>;
      need(idf.publisher && idf.offer && idf.sku, 'identifier', 'publisher, offer and sku');
      if (existing && existing.properties.hyperVGeneration !== props.hyperVGeneration)
        throw new ArmError(
          409,
          'PropertyChangeNotAllowed',
          "Changing property 'hyperVGeneration' is not allowed.",
        );
    }
    if (kind.key === 'virtualMachines') {
      const image = ((sp.imageReference ?? {}) as { id?: string }).id;
      need(image, 'storageProfile.imageReference.id', 'a managed image or gallery image version');
      if (!resources.get(image!.toLowerCase()))
        throw new ArmError(404, 'NotFound', `The image ${image} was not found.`);
      const os = (props.osProfile ?? {}) as { customData?: string; adminUsername?: string };
      need(os.adminUsername, 'osProfile.adminUsername', 'an admin user');
      need(!os.customData || /^[A-Za-z0-9+/]*={0,2}$/.test(os.customData), 'osProfile.customData', 'base64');
      const net = (props.networkProfile ?? {}) as {
        networkInterfaces?: unknown[];
        networkInterfaceConfigurations?: unknown[];
      };
      need(
        net.networkInterfaces?.length || net.networkInterfaceConfigurations?.length,
        'networkProfile',
        'a NIC or NIC configuration',
      );
    }
    if (kind.key === 'networkInterfaces')
      for (const c of (props.ipConfigurations ?? []) as { properties?: Record<string, { id?: string }> }[]) {
        for (const f of ['subnet', 'publicIPAddress']) {
          const ref = c.properties?.[f]?.id;
          if (f === 'subnet') need(ref, 'ipConfigurations.subnet', 'a subnet');
          if (ref && !resources.get(ref.toLowerCase()))
            throw new ArmError(
              400,
              'InvalidResourceReference',
              `Resource ${ref} referenced by the NIC was not found.`,
            );
        }
      }
    if (kind.key === 'versions') {
      const pp = (props.publishingProfile ?? {}) as { targetRegions?: { name?: string }[] };
      need(
        !pp.targetRegions || pp.targetRegions.every((r) => r.name),
        'publishingProfile.targetRegions',
        'region names',
      );
      const src = sp.source as { id?: string } | undefined;
      const vhd = (sp.osDiskImage as { source?: { uri?: string; storageAccountId?: string } } | undefined)
        ?.source;
      need(
        src?.id || (vhd?.uri && vhd.storageAccountId),
        'storageProfile',
        'source.id (a managed image) or osDiskImage.source.uri + storageAccountId',
      );
      if (src?.id) {
        const img = resources.get(src.id.toLowerCase());
        if (!img) throw new ArmError(404, 'NotFound', `The source image ${src.id} was not found.`);
        const gen = (img.properties.hyperVGeneration as string | undefined) ?? 'V1';
        if (gen !== ((parent?.properties.hyperVGeneration as string | undefined) ?? 'V1'))
          throw new ArmError(
            400,
            'InvalidParameter',
            `The source image's HyperVGeneration ${gen} does not match the gallery image's.`,
          );
      } else if (opts.blobExists && !(await opts.blobExists(vhd!.uri!)))
        throw new ArmError(
          400,
          'InvalidParameter',
          `The blob ${vhd!.uri} does not exist or is not a page blob.`,
        );
      if (
        existing &&
        existing.properties.provisioningState === 'Succeeded' &&
        JSON.stringify(existing.properties.storageProfile) !== JSON.stringify(props.storageProfile)
      )
        throw new ArmError(
          409,
          'PropertyChangeNotAllowed',
          "Changing property 'storageProfile' is not allowed.",
        );
    }
  };

  const listening = await listenOn(handle, cert);
  endpoint = listening.endpoint;
  return {
    endpoint,
    certFile: cert.certFile,
    cert: cert.cert,
    resources,
    created,
    calls,
    consoles,
    get: (id) => resources.get(id.toLowerCase()),
    quota,
    settle: work.settle,
    writeAuthFile: async (path, creds) => {
      const auth = {
        ...creds,
        tenantId: 'fake-tenant',
        activeDirectoryEndpointUrl: endpoint,
        resourceManagerEndpointUrl: endpoint,
      };
      await writeFile(path, JSON.stringify(auth), { mode: 0o600 });
      return path;
    },
    close: async () => {
      await listening.close();
      await cert.remove();
    },
  };
}

function throttled(res: ServerResponse): void {
  sendJson(
    res,
    429,
    { error: { code: 'TooManyRequests', message: 'The request is being throttled.' } },
    { 'retry-after': '0' },
  );
}

/** A VM as its backend sees it: its name and the Ignition config its customData carried. */
function fakeMachine(vm: FakeArmResource): { id: string; userData: string } {
  const custom = (vm.properties.osProfile as { customData?: string } | undefined)?.customData ?? '';
  return { id: vm.name, userData: Buffer.from(custom, 'base64').toString('utf8') };
}

function noLocation(location: string, type: string): ArmError {
  return new ArmError(
    400,
    'NoRegisteredProviderFound',
    `No registered resource provider found for location '${location}' and API version for type '${type}'.`,
  );
}

function notFound(kind: Kind, name: string, group: string): ArmError {
  return new ArmError(
    404,
    kind.key === 'galleries' ? 'GalleryNotFound' : 'ResourceNotFound',
    `The Resource '${kind.type}/${name}' under resource group '${group}' was not found.`,
  );
}
