import { InputError, OperationError } from '@mantle/core/errors';
import { compileGlob } from '@mantle/core/text';
import { EsxFault, many, ref, text, toRef, type EsxClient, type MoRef, type XmlNode } from './soap-client.js';

// Where things are on the host: the datacenter (an ESX host has exactly one, `ha-datacenter`),
// its VM folder, resource pool, datastore and network, and the VMs, listed through a container
// view of the whole inventory.

/** The places a new VM goes, as Go mantle's ore picks them: the only (or first) of each. */
export interface EsxPlacement {
  datacenter: MoRef;
  vmFolder: MoRef;
  resourcePool: MoRef;
  datastore: MoRef;
  datastoreName: string;
  network?: MoRef;
  networkName?: string;
}

/** One VM as `list-vms` shows it. */
export interface EsxVm {
  name: string;
  /** the managed object id (`vm-42`, on ESX a number) */
  id: string;
  powerState: string;
  template: boolean;
}

const refs = (v: unknown): MoRef[] => many((v as XmlNode | undefined)?.ManagedObjectReference).map(toRef);

/** The datacenter, VM folder, resource pool, datastore and network a new VM goes to. */
export async function findPlacement(c: EsxClient, opts: { network?: string } = {}): Promise<EsxPlacement> {
  const root = await c.properties(c.content.rootFolder, ['childEntity'], 'reading the inventory root');
  const dcs = refs(root.childEntity).filter((r) => r.type === 'Datacenter');
  if (dcs.length === 0)
    throw new OperationError({
      code: 'ESX_NO_DATACENTER',
      message: `ESX at ${c.url.host}: the inventory has no datacenter`,
      hint: 'point the profile at an ESX host or a vCenter with a datacenter',
    });
  const datacenter = dcs[0]!;
  const dc = await c.properties(
    datacenter,
    ['vmFolder', 'hostFolder', 'datastore', 'network'],
    'reading the datacenter',
  );
  const hosts = await c.properties(toRef(dc.hostFolder), ['childEntity'], 'reading the host folder');
  const compute = refs(hosts.childEntity).find((r) => /ComputeResource$/.test(r.type));
  if (!compute)
    throw new OperationError({
      code: 'ESX_NO_HOST',
      message: `ESX at ${c.url.host}: the datacenter has no host`,
      hint: 'add a host to the datacenter',
    });
  const cr = await c.properties(compute, ['resourcePool'], 'reading the compute resource');
  const datastores = refs(dc.datastore);
  if (datastores.length === 0)
    throw new OperationError({
      code: 'ESX_NO_DATASTORE',
      message: `ESX at ${c.url.host}: the datacenter has no datastore`,
      hint: 'add a datastore to the host',
    });
  const ds = await pickDatastore(c, datastores);
  const net = await pickNetwork(c, refs(dc.network), opts.network);
  return {
    datacenter,
    vmFolder: toRef(dc.vmFolder),
    resourcePool: toRef(cr.resourcePool),
    datastore: ds.ref,
    datastoreName: ds.name,
    ...(net ? { network: net.ref, networkName: net.name } : {}),
  };
}

/**
 * The network of that name (standard port group or distributed port group), or the first one
 * when no name is asked for, as Go mantle's ore does; an unknown name lists the host's networks.
 */
async function pickNetwork(
  c: EsxClient,
  networks: MoRef[],
  wanted: string | undefined,
): Promise<{ ref: MoRef; name: string } | undefined> {
  if (wanted === undefined) {
    if (!networks[0]) return undefined;
    const p = await c.properties(networks[0], ['name'], 'reading the network');
    return { ref: networks[0], name: text(p.name) };
  }
  const named: { ref: MoRef; name: string }[] = [];
  for (const n of networks) {
    const p = await c.properties(n, ['name'], 'reading the networks');
    named.push({ ref: n, name: text(p.name) });
  }
  const hit = named.find((n) => n.name === wanted);
  if (hit) return hit;
  const names = named.map((n) => JSON.stringify(n.name));
  throw new InputError({
    code: 'ESX_NETWORK_NOT_FOUND',
    message: `--esx-network ${JSON.stringify(wanted)}: ${c.url.host} has no network of that name (it has ${names.length > 0 ? names.join(', ') : 'none'})`,
    hint: names.length > 0 ? `pick one of ${names.join(', ')}` : 'add a port group to the host first',
    details: { network: wanted, networks: named.map((n) => n.name) },
  });
}

/** The accessible datastore with the most free space (a listed one may be gone: skipped). */
async function pickDatastore(c: EsxClient, datastores: MoRef[]): Promise<{ ref: MoRef; name: string }> {
  let best: { ref: MoRef; name: string; free: number } | undefined;
  for (const d of datastores) {
    let p: Record<string, unknown>;
    try {
      p = await c.properties(
        d,
        ['name', 'summary.accessible', 'summary.freeSpace'],
        'reading the datastores',
      );
    } catch (err) {
      if (err instanceof EsxFault && err.faultType === 'ManagedObjectNotFound') continue;
      throw err;
    }
    if (text(p['summary.accessible']) === 'false') continue;
    const free = Number(text(p['summary.freeSpace']) || 0);
    if (!best || free > best.free) best = { ref: d, name: text(p.name), free };
  }
  if (!best)
    throw new OperationError({
      code: 'ESX_NO_DATASTORE',
      message: `ESX at ${c.url.host}: no accessible datastore`,
      hint: 'add a datastore to the host, or bring one back online',
    });
  return best;
}

/** Every VM (templates included) with its power state. */
export async function listVms(c: EsxClient): Promise<EsxVm[]> {
  const viewManager = c.content.viewManager;
  if (!viewManager)
    throw new OperationError({
      code: 'ESX_NO_VIEW_MANAGER',
      message: `ESX at ${c.url.host} has no view manager`,
      hint: 'use an ESX host or vCenter of API version 4.0 or later',
    });
  const view = toRef(
    await c.call(
      'CreateContainerView',
      viewManager,
      { container: ref(c.content.rootFolder), type: 'VirtualMachine', recursive: 'true' },
      { what: 'listing the VMs' },
    ),
  );
  try {
    const objs = await c.retrieve(
      {
        propSet: { type: 'VirtualMachine', pathSet: ['name', 'runtime.powerState', 'config.template'] },
        objectSet: {
          obj: ref(view),
          skip: 'true',
          selectSet: {
            '@_xsi:type': 'TraversalSpec',
            name: 'view',
            type: 'ContainerView',
            path: 'view',
            skip: 'false',
          },
        },
      },
      'listing the VMs',
    );
    return objs
      .map((o) => ({
        name: text(o.props.name),
        id: o.obj.value,
        powerState: text(o.props['runtime.powerState']),
        template: text(o.props['config.template']) === 'true',
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    await c
      .call('DestroyView', view, {}, { what: 'closing the VM listing', ignoreAbort: true })
      .catch(() => {});
  }
}

/** `--pattern GLOB` of list-vms/remove-vms: `*`, `?` and `[...]` as Go's path.Match reads them, anchored. */
export function vmNameMatcher(pattern: string): (name: string) => boolean {
  return compileGlob(pattern, { dialect: 'path-match', flag: '--pattern', code: 'ESX_BAD_PATTERN' });
}
