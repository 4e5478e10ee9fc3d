import { randomBytes, randomUUID } from 'node:crypto';
import { OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { checkCloudName } from '../cloud/names.js';
import { pollUntil } from '../cloud/wait.js';
import { gceError, isGceNotFound, type GceClients } from './clients.js';
import { GCE_MANTLE_LABEL } from './images.js';
import { waitGceOperation, type GceOperation } from './operations.js';

// Compute Engine machines, for kola's gcloud platform (and `ore gcloud gc`): made from an image
// with an Ignition config as user-data, waited for, their addresses and serial console read,
// deleted. Every machine carries the created-by=mantle label (and mantle's created-by metadata
// item) so gc finds leaked ones.

/** What a machine is made of. */
export interface GceInstanceSpec {
  zone: string;
  /** the image: a name in the project, projects/P/global/images/NAME, .../family/F, or a URL */
  image: string;
  /** the name (default `<basename>-<20 hex>`) */
  name?: string;
  /** name prefix when no name is given (default kola) */
  basename?: string;
  /** default t2d-standard-1 (mantle's) */
  machineType?: string;
  /** default pd-ssd */
  diskType?: string;
  /** default 16 */
  diskSizeGb?: number;
  /** network name in the project (default `default`) */
  network?: string;
  /** GVNIC instead of VIRTIO_NET */
  gvnic?: boolean;
  /** the Ignition config (or other user-data) */
  userData?: string;
  /** `user:ssh-ed25519 AAAA...` lines for the ssh-keys metadata item */
  sshKeys?: string[];
  labels?: Record<string, string>;
  /** network tags (default http-server, https-server, as mantle) */
  tags?: string[];
  /** more metadata items */
  metadata?: Record<string, string>;
  logger?: Logger;
}

/** A machine as ore reports it. */
export interface GceInstance {
  name: string;
  id: string;
  zone: string;
  /** PROVISIONING, STAGING, RUNNING, STOPPING, TERMINATED, ... */
  status: string;
  internalIp?: string;
  externalIp?: string;
  created: string;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  selfLink: string;
}

interface InstanceResource {
  name?: string | null;
  id?: string | number | null;
  zone?: string | null;
  status?: string | null;
  creationTimestamp?: string | null;
  labels?: Record<string, string> | null;
  metadata?: { items?: { key?: string | null; value?: string | null }[] | null } | null;
  networkInterfaces?:
    | {
        networkIP?: string | null;
        accessConfigs?: { type?: string | null; natIP?: string | null }[] | null;
      }[]
    | null;
  selfLink?: string | null;
}

/** The ore view of an instance resource (addresses from the first interface, as mantle's InstanceIPs). */
export function gceInstanceInfo(r: InstanceResource): GceInstance {
  const nic = r.networkInterfaces?.[0];
  const nat = nic?.accessConfigs?.find((a) => String(a.type) === 'ONE_TO_ONE_NAT')?.natIP;
  return {
    name: r.name ?? '',
    id: String(r.id ?? ''),
    zone: (r.zone ?? '').split('/').pop() ?? '',
    status: String(r.status ?? ''),
    ...(nic?.networkIP ? { internalIp: nic.networkIP } : {}),
    ...(nat ? { externalIp: nat } : {}),
    created: r.creationTimestamp ?? '',
    labels: { ...(r.labels ?? {}) },
    metadata: Object.fromEntries((r.metadata?.items ?? []).map((i) => [i.key ?? '', i.value ?? ''])),
    selfLink: r.selfLink ?? '',
  };
}

/** An image reference as instances.insert takes it. */
export function gceImageReference(gce: Pick<GceClients, 'projectId'>, image: string): string {
  if (/^https?:\/\//.test(image) || image.startsWith('projects/')) return image;
  if (image.startsWith('family/')) return `projects/${gce.projectId}/global/images/${image}`;
  return `projects/${gce.projectId}/global/images/${image}`;
}

/** Create a machine and wait until GCE reports it made; returns it with its addresses. */
export async function createGceInstance(gce: GceClients, spec: GceInstanceSpec): Promise<GceInstance> {
  const name = spec.name ?? `${spec.basename ?? 'kola'}-${randomBytes(10).toString('hex')}`;
  checkCloudName('gce-instance', name, 'instance name');
  const zone = spec.zone;
  const project = gce.projectId;
  const prefix = `projects/${project}`;
  const metadata: Record<string, string> = { 'created-by': 'mantle', ...spec.metadata };
  if (spec.sshKeys?.length) metadata['ssh-keys'] = spec.sshKeys.join('\n');
  if (spec.userData !== undefined) metadata['user-data'] = spec.userData;
  const instanceResource = {
    name,
    machineType: `zones/${zone}/machineTypes/${spec.machineType ?? 't2d-standard-1'}`,
    labels: { ...GCE_MANTLE_LABEL, ...spec.labels },
    metadata: { items: Object.entries(metadata).map(([key, value]) => ({ key, value })) },
    tags: { items: spec.tags ?? ['https-server', 'http-server'] },
    disks: [
      {
        autoDelete: true,
        boot: true,
        type: 'PERSISTENT',
        initializeParams: {
          diskName: name,
          sourceImage: gceImageReference(gce, spec.image),
          diskType: `zones/${zone}/diskTypes/${spec.diskType ?? 'pd-ssd'}`,
          diskSizeGb: spec.diskSizeGb ?? 16,
        },
      },
    ],
    networkInterfaces: [
      {
        network: `${prefix}/global/networks/${spec.network ?? 'default'}`,
        accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }],
        nicType: spec.gvnic ? 'GVNIC' : 'VIRTIO_NET',
      },
    ],
  };
  spec.logger?.info(`creating instance ${name} in ${zone}`);
  let op: GceOperation;
  try {
    op = await gce.call<GceOperation>('instances', 'insert', {
      project,
      zone,
      instanceResource,
      requestId: randomUUID(),
    });
  } catch (err) {
    throw gceError(err, { gce, what: `creating instance ${name}` });
  }
  await waitGceOperation(gce, op, { zone, what: `creating instance ${name}` });
  const inst = await getGceInstance(gce, zone, name);
  if (!inst)
    throw new OperationError({
      code: 'GCE_INSTANCE_MISSING',
      message: `instance ${name} is gone right after it was made`,
    });
  return inst;
}

/** The machine, or undefined when it does not exist. */
export async function getGceInstance(
  gce: GceClients,
  zone: string,
  name: string,
): Promise<GceInstance | undefined> {
  try {
    return gceInstanceInfo(
      await gce.call<InstanceResource>('instances', 'get', { project: gce.projectId, zone, instance: name }),
    );
  } catch (err) {
    if (isGceNotFound(err)) return undefined;
    throw gceError(err, { gce, what: `looking up instance ${name}` });
  }
}

/** Wait until the machine is RUNNING (with an external address when it has one). */
export async function waitGceInstanceRunning(
  gce: GceClients,
  zone: string,
  name: string,
  opts: { timeoutMs?: number } = {},
): Promise<GceInstance> {
  return pollUntil(
    async () => {
      const i = await getGceInstance(gce, zone, name);
      if (!i)
        throw new OperationError({
          code: 'GCE_INSTANCE_MISSING',
          message: `instance ${name} does not exist`,
        });
      if (i.status === 'TERMINATED')
        throw new OperationError({
          code: 'GCE_INSTANCE_TERMINATED',
          message: `instance ${name} stopped while starting`,
        });
      return i.status === 'RUNNING' ? i : undefined;
    },
    {
      what: `instance ${name} to run`,
      initialMs: gce.options.pollMs ?? 1000,
      maxMs: 10_000,
      timeoutMs: opts.timeoutMs ?? 10 * 60_000,
      ...(gce.options.signal ? { signal: gce.options.signal } : {}),
    },
  );
}

/** Serial port 1 from byte `start` on; `next` is where the following read starts. */
export async function gceInstanceConsole(
  gce: GceClients,
  zone: string,
  name: string,
  start = 0,
): Promise<{ contents: string; next: number }> {
  try {
    const r = await gce.call<{ contents?: string; next?: string | number }>(
      'instances',
      'getSerialPortOutput',
      {
        project: gce.projectId,
        zone,
        instance: name,
        port: 1,
        start,
      },
    );
    return { contents: r.contents ?? '', next: Number(r.next ?? start) };
  } catch (err) {
    throw gceError(err, { gce, what: `reading the console of ${name}` });
  }
}

/** Delete a machine (its boot disk goes with it); a missing one is not an error. */
export async function deleteGceInstance(
  gce: GceClients,
  zone: string,
  name: string,
  opts: { wait?: boolean; logger?: Logger } = {},
): Promise<boolean> {
  let op: GceOperation;
  try {
    op = await gce.call<GceOperation>('instances', 'delete', {
      project: gce.projectId,
      zone,
      instance: name,
      requestId: randomUUID(),
    });
  } catch (err) {
    if (isGceNotFound(err)) return false;
    throw gceError(err, { gce, what: `deleting instance ${name}` });
  }
  if (opts.wait !== false) await waitGceOperation(gce, op, { zone, what: `deleting instance ${name}` });
  opts.logger?.info(`deleted instance ${name}`);
  return true;
}

/** Machines of a zone, optionally by name prefix and labels. */
export async function listGceInstances(
  gce: GceClients,
  zone: string,
  filter: { prefix?: string; labels?: Record<string, string> } = {},
): Promise<GceInstance[]> {
  const terms = Object.entries(filter.labels ?? {}).map(([k, v]) => `(labels.${k} = "${v}")`);
  try {
    const items = await gce.call<InstanceResource[]>('instances', 'list', {
      project: gce.projectId,
      zone,
      ...(terms.length ? { filter: terms.join(' AND ') } : {}),
    });
    return items.map(gceInstanceInfo).filter((i) => !filter.prefix || i.name.startsWith(filter.prefix));
  } catch (err) {
    throw gceError(err, { gce, what: `listing instances in ${zone}` });
  }
}
