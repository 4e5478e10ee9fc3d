import { Readable, Transform } from 'node:stream';
import { XMLParser } from 'fast-xml-parser';
import { InputError, InterruptedError, MantleError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { noProgress, type ProgressFactory } from '../convert/progress.js';
import { findPlacement, listVms } from './inventory.js';
import { ovaEntry, ovaEntryStream, type Ova } from './ova.js';
import {
  EsxFault,
  faultName,
  many,
  ref,
  text,
  toRef,
  type EsxClient,
  type MoRef,
  type XmlNode,
} from './soap-client.js';

// create-base, as Go mantle's ore does it: the host turns the OVF descriptor into an import spec
// (OvfManager.CreateImportSpec), ResourcePool.ImportVApp creates the VM and an HttpNfcLease, each
// disk of the OVA is sent to its lease device URL (progress reported to the lease, which times
// out otherwise), and the lease is completed. A failed or interrupted upload aborts the lease and
// removes the VM it made, so nothing half-imported is left.

export interface CreateBaseOptions {
  name: string;
  ova: Ova;
  /** mark the new VM as a template (for clones) */
  template?: boolean;
  /** the host network every OVF network is mapped to (default: the host's first network) */
  network?: string;
  logger?: Logger;
  signal?: AbortSignal;
  progress?: ProgressFactory;
  /** how often the lease hears of the progress (ms; the lease expires after minutes without) */
  leaseProgressMs?: number;
}

export interface CreateBaseResult {
  name: string;
  /** the VM's managed object id */
  id: string;
  files: { path: string; bytes: number }[];
  template: boolean;
  datastore: string;
  /** the host network the VM's OVF networks were mapped to (none when the host has none) */
  network?: string;
}

interface FileItem {
  deviceId: string;
  path: string;
  size: number;
  create: boolean;
}

const ovfParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  transformTagName: (n) => n.replace(/^.*:/, ''),
});

/** The network names an OVF descriptor's NetworkSection declares. */
export function ovfNetworks(descriptor: string): string[] {
  const env = (ovfParser.parse(descriptor) as XmlNode).Envelope as XmlNode | undefined;
  const section = env?.NetworkSection as XmlNode | undefined;
  return many(section?.Network)
    .map((n) => text(n['@_ovf:name'] ?? n['@_name']))
    .filter((n) => n !== '');
}

/** Import an OVA as a new VM `name` on the host; returns its id. */
export async function createBase(c: EsxClient, o: CreateBaseOptions): Promise<CreateBaseResult> {
  const log = o.logger;
  const dry = c.options.dryRun;
  const place = await findPlacement(c, o.network !== undefined ? { network: o.network } : {});
  if ((await listVms(c)).some((v) => v.name === o.name))
    throw new InputError({
      code: 'ESX_VM_EXISTS',
      message: `--name ${JSON.stringify(o.name)}: a VM of that name exists on ${c.url.host}`,
      hint: `pick another name, or remove it first: ore esx remove-vms --name ${o.name}`,
      details: { name: o.name },
    });
  if (!c.content.ovfManager)
    throw new OperationError({
      code: 'ESX_NO_OVF_MANAGER',
      message: `ESX at ${c.url.host} has no OVF manager`,
      hint: 'use an ESX host or vCenter that imports OVF (API 4.0 or later)',
    });
  const networkMapping = place.network
    ? ovfNetworks(o.ova.descriptor).map((name) => ({ name, network: ref(place.network!) }))
    : [];
  const cisr = await c.call(
    'CreateImportSpec',
    c.content.ovfManager,
    {
      ovfDescriptor: o.ova.descriptor,
      resourcePool: ref(place.resourcePool),
      datastore: ref(place.datastore),
      cisp: { locale: 'US', deploymentOption: '', entityName: o.name, networkMapping },
    },
    { what: `reading ${o.ova.ovfName}` },
  );
  const errors = many(cisr.error).map((e) => text(e.localizedMessage) || 'refused');
  if (errors.length > 0 || !cisr.importSpec)
    throw new InputError({
      code: 'ESX_BAD_OVF',
      message: `--file ${o.ova.path}: the host refused ${o.ova.ovfName}: ${errors.join('; ') || 'no import spec'}`,
      hint: 'give an OVA made for vSphere (ore image to-vm --platform vmware makes the disk)',
    });
  const items: FileItem[] = many(cisr.fileItem).map((f) => ({
    deviceId: text(f.deviceId),
    path: text(f.path),
    size: Number(text(f.size) || 0),
    create: text(f.create) === 'true',
  }));
  // Every file the spec names must be in the archive before anything is created.
  const entries = new Map(items.map((i) => [i.path, ovaEntry(o.ova, i.path)]));

  const leaseRef = toRef(
    await c.call(
      'ImportVApp',
      place.resourcePool,
      { spec: cisr.importSpec, folder: ref(place.vmFolder) },
      {
        what: `creating VM ${o.name}`,
        write: true,
        dryRunAnswer: { '@_type': 'HttpNfcLease', '#text': 'dry-run' },
        dryRunInput: {
          spec: `the import spec of ${o.ova.ovfName} for ${o.name}`,
          folder: `${place.vmFolder.type}:${place.vmFolder.value}`,
          datastore: place.datastoreName,
        },
      },
    ),
  );
  if (dry) {
    for (const i of items)
      dry.record('ESX', `${i.create ? 'PUT' : 'POST'} <lease device URL>`, {
        file: i.path,
        bytes: entries.get(i.path)!.size,
      });
    dry.record('ESX', 'HttpNfcLeaseComplete', { this: 'HttpNfcLease:<new>' });
    return {
      name: o.name,
      id: 'dry-run',
      files: items.map((i) => ({ path: i.path, bytes: entries.get(i.path)!.size })),
      template: o.template ?? false,
      datastore: place.datastoreName,
      ...(place.networkName !== undefined ? { network: place.networkName } : {}),
    };
  }

  let entity: MoRef | undefined;
  try {
    const info = await waitLease(c, leaseRef, o.name);
    entity = toRef(info.entity);
    const urls = many(info.deviceUrl);
    const total = items.reduce((n, i) => n + entries.get(i.path)!.size, 0);
    let done = 0;
    const progress = (o.progress ?? noProgress)(`uploading ${o.name}`, total);
    let lastPercent = -1;
    let reporting: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      const percent = total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
      if (percent === lastPercent) return;
      lastPercent = percent;
      reporting = reporting.then(() =>
        c
          .call(
            'HttpNfcLeaseProgress',
            leaseRef,
            { percent: String(percent) },
            { what: 'reporting progress', retry: false },
          )
          .catch((err: unknown) => log?.debug(`lease progress: ${(err as Error).message}`)),
      );
    }, o.leaseProgressMs ?? 2000);
    try {
      for (const item of items) {
        const dev = urls.find((u) => text(u.importKey) === item.deviceId);
        if (!dev)
          throw new OperationError({
            code: 'ESX_NO_DEVICE_URL',
            message: `ESX at ${c.url.host}: the lease has no upload URL for ${item.path} (${item.deviceId})`,
            hint: 'the host did not accept the disk: check the OVF descriptor',
          });
        const entry = entries.get(item.path)!;
        const counted = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            done += chunk.length;
            progress.update(done);
            cb(null, chunk);
          },
        });
        const body = ovaEntryStream(o.ova, entry).pipe(counted);
        log?.debug(`uploading ${item.path} (${entry.size} bytes) to ${text(dev.url)}`);
        await upload(c, deviceUrl(c, text(dev.url)), body, entry.size, item.create, o.signal, o.name);
      }
    } finally {
      clearInterval(timer);
      await reporting;
      progress.finish();
    }
    await c.call(
      'HttpNfcLeaseComplete',
      leaseRef,
      {},
      { what: `completing the import of ${o.name}`, retry: false },
    );
  } catch (err) {
    await abortImport(c, leaseRef, entity, o.name, log);
    if (o.signal?.aborted && !(err instanceof InterruptedError)) throw new InterruptedError('abort signal');
    throw err;
  }
  if (o.template) {
    await c.call('MarkAsTemplate', entity, {}, { what: `marking ${o.name} as a template`, write: true });
  }
  return {
    name: o.name,
    id: entity.value,
    files: items.map((i) => ({ path: i.path, bytes: entries.get(i.path)!.size })),
    template: o.template ?? false,
    datastore: place.datastoreName,
    ...(place.networkName !== undefined ? { network: place.networkName } : {}),
  };
}

/** Wait until the lease is ready (the host made the VM and its disks); its info. */
async function waitLease(c: EsxClient, lease: MoRef, name: string): Promise<XmlNode> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    const p = await c.properties(lease, ['state'], `waiting for the import of ${name}`);
    const state = text(p.state);
    if (state === 'ready') break;
    if (state === 'error') {
      const e = (await c.properties(lease, ['error'], `reading the import error of ${name}`)).error as
        XmlNode | undefined;
      throw new EsxFault(faultName(e?.fault), text(e?.localizedMessage), `importing ${name}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  return (await c.properties(lease, ['info'], `reading the lease of ${name}`)).info as XmlNode;
}

/** A lease device URL: the host answers `https://*\/nfc/...`; `*` is the host ore talks to. */
function deviceUrl(c: EsxClient, raw: string): URL {
  const u = new URL(raw.replace('://*', `://${c.url.host}`));
  if (raw.includes('://*')) u.protocol = c.url.protocol;
  return u;
}

async function upload(
  c: EsxClient,
  url: URL,
  body: Readable,
  size: number,
  create: boolean,
  signal: AbortSignal | undefined,
  name: string,
): Promise<void> {
  let res: Response;
  try {
    res = await c.fetch(url, {
      // Disks are streamed as streamOptimized VMDK (POST); other files (an ISO) are PUT, as ovftool does.
      method: create ? 'PUT' : 'POST',
      headers: {
        ...c.authHeaders(),
        'content-type': create ? 'application/octet-stream' : 'application/x-vnd.vmware-streamVmdk',
        'content-length': String(size),
        ...(create ? { overwrite: 't' } : {}),
      },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    body.destroy();
    if (signal?.aborted) throw new InterruptedError('abort signal');
    throw new OperationError({
      code: 'ESX_UPLOAD_FAILED',
      message: `ESX at ${c.url.host}: uploading the disk of ${name} failed: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`,
      hint: 'retry; a lasting failure: check the network to the host',
      cause: err,
    });
  }
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok)
    throw new OperationError({
      code: 'ESX_UPLOAD_FAILED',
      message: `ESX at ${c.url.host}: uploading the disk of ${name} was refused (HTTP ${res.status})`,
      hint: 'the host refused the disk: it must be a streamOptimized VMDK',
      details: { status: res.status },
    });
}

/** Abort the lease and remove the VM it made if the host kept it (ESX removes it, vcsim does not). */
async function abortImport(
  session: EsxClient,
  lease: MoRef,
  entity: MoRef | undefined,
  name: string,
  log: Logger | undefined,
): Promise<void> {
  const c = session.detached();
  log?.info(`aborting the import of ${name}`);
  await c
    .call('HttpNfcLeaseAbort', lease, {}, { what: `aborting the import of ${name}`, retry: false })
    .catch((err: unknown) => log?.warn(`aborting the lease of ${name}: ${(err as Error).message}`));
  const found = (await listVms(c).catch(() => [])).find((v) => v.name === name);
  const vm = entity ?? (found ? { type: 'VirtualMachine', value: found.id } : undefined);
  if (!vm) return;
  try {
    const what = `removing the half-imported ${name}`;
    await c.waitTask(toRef(await c.call('Destroy_Task', vm, {}, { what })), what);
  } catch (err) {
    // Gone already (the host removed it with the lease): nothing is left, which is the point.
    if (err instanceof EsxFault && err.faultType === 'ManagedObjectNotFound') return;
    if (err instanceof MantleError)
      log?.warn(`${err.message}: remove it with ore esx remove-vms --name ${name}`);
  }
}
