import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { gceError, isGceNotFound, type GceClients } from './clients.js';
import { deleteGceImages, GCE_MANTLE_LABEL, listGceImages } from './images.js';
import { deleteGceInstance, listGceInstances } from './instances.js';

/** What `ore gcloud gc` removed. */
export interface GceGcResult {
  project: string;
  zone: string;
  olderThan: string;
  images: { name: string; created: string }[];
  instances: { name: string; created: string }[];
}

/** A zone of the project (zones.get); an unknown one is exit 2 naming the flag, before any work. */
export async function checkGceZoneKnown(gce: GceClients, zone: string, flag = '--zone'): Promise<void> {
  try {
    await gce.call('zones', 'get', { project: gce.projectId, zone });
  } catch (err) {
    if (!isGceNotFound(err)) throw gceError(err, { gce, what: `looking up zone ${zone}` });
    throw new InputError({
      code: 'GCE_UNKNOWN_ZONE',
      message: `${flag} ${zone} is not a zone of project ${gce.projectId}`,
      hint: 'gcloud compute zones list lists them',
      cause: err,
      details: { flag, value: zone },
    });
  }
}

/** A region or multi-region (us, eu, asia) images can be stored in; else exit 2. */
export async function checkGceStorageLocation(
  gce: GceClients,
  location: string,
  flag = '--storage-location',
): Promise<void> {
  if (['us', 'eu', 'asia'].includes(location)) return;
  const bad = (cause?: unknown): InputError =>
    new InputError({
      code: 'GCE_UNKNOWN_REGION',
      message: `${flag} ${JSON.stringify(location)} is not a region of project ${gce.projectId} (nor us, eu, asia)`,
      hint: 'use a region like us-central1, or a multi-region: us, eu, asia',
      ...(cause ? { cause } : {}),
      details: { flag, value: location },
    });
  if (!/^[a-z]+-[a-z]+\d+$/.test(location)) throw bad();
  try {
    await gce.call('regions', 'get', { project: gce.projectId, region: location });
  } catch (err) {
    if (isGceNotFound(err)) throw bad(err);
    throw gceError(err, { gce, what: `looking up region ${location}` });
  }
}

/**
 * Garbage-collect what ore and kola made (label created-by=mantle; instances also by mantle's
 * created-by metadata item) that is older than `olderThanMs`: images of the project and
 * instances of the zone (stopped ones too: their disks cost).
 */
export async function gcGce(
  gce: GceClients,
  opts: { zone: string; olderThanMs: number; olderThan: string; now?: Date; logger?: Logger },
): Promise<GceGcResult> {
  const cutoff = (opts.now ?? new Date()).getTime() - opts.olderThanMs;
  const old = (created: string): boolean => Date.parse(created) < cutoff;
  const out: GceGcResult = {
    project: gce.projectId,
    zone: opts.zone,
    olderThan: opts.olderThan,
    images: [],
    instances: [],
  };
  const instances = (await listGceInstances(gce, opts.zone)).filter(
    (i) => i.labels['created-by'] === 'mantle' || i.metadata['created-by'] === 'mantle',
  );
  for (const i of instances.filter((x) => old(x.created))) {
    if (await deleteGceInstance(gce, opts.zone, i.name, opts.logger ? { logger: opts.logger } : {}))
      out.instances.push({ name: i.name, created: i.created });
  }
  const images = (await listGceImages(gce, { labels: GCE_MANTLE_LABEL })).filter((i) => old(i.created));
  const r = await deleteGceImages(
    gce,
    images.map((i) => i.name),
    opts.logger ? { logger: opts.logger } : {},
  );
  out.images = images
    .filter((i) => r.deleted.includes(i.name))
    .map((i) => ({ name: i.name, created: i.created }));
  return out;
}
