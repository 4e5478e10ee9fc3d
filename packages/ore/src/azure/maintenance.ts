import type { Logger } from '@mantle/core/log';
import type { AzureArm } from './arm-clients.js';
import { deleteGalleryImageVersion, listGalleryImages, listGalleryImageVersions } from './gallery.js';
import { deleteAzureImage, listAzureImages } from './images.js';
import { deleteAzureVm, listAzureVms } from './instances.js';
import { deleteAzureNetResource, listAzureNetResources, type AzureNetKind } from './network.js';

/** What `ore azure gc` removed (or, in a dry run, would remove). */
export interface AzureGcResult {
  resourceGroup: string;
  olderThan: string;
  /** nothing was deleted: these would be */
  dryRun: boolean;
  images: { name: string; created: string }[];
  versions: { gallery: string; image: string; version: string; created: string }[];
  /** VMs tagged CreatedBy=mantle and their network pieces, by name */
  vms: string[];
  nics: string[];
  publicIps: string[];
  vnets: string[];
}

/**
 * Garbage-collect what ore made (tag CreatedBy=mantle) older than `olderThanMs` (by the CreatedAt
 * tag; gallery versions by their publishedDate): managed images of the resource group and, with
 * `gallery`, versions of every image definition of that gallery. Resources without an age are
 * kept. `dryRun` lists them without deleting.
 */
export async function gcAzure(
  arm: AzureArm,
  opts: {
    resourceGroup: string;
    olderThanMs: number;
    olderThan: string;
    gallery?: string;
    now?: Date;
    dryRun?: boolean;
    logger?: Logger;
  },
): Promise<AzureGcResult> {
  const cutoff = (opts.now ?? new Date()).getTime() - opts.olderThanMs;
  const old = (created: string | undefined): created is string =>
    created !== undefined && Date.parse(created) < cutoff;
  const log = opts.logger ? { logger: opts.logger } : {};
  const out: AzureGcResult = {
    resourceGroup: opts.resourceGroup,
    olderThan: opts.olderThan,
    dryRun: opts.dryRun ?? false,
    images: [],
    versions: [],
    vms: [],
    nics: [],
    publicIps: [],
    vnets: [],
  };
  await gcAzureMachines(arm, { ...opts, cutoff, out });
  if (opts.gallery) {
    // versions first: an image they were made from may be among the images below
    for (const image of await listGalleryImages(arm, opts.resourceGroup, opts.gallery)) {
      for (const v of await listGalleryImageVersions(arm, opts.resourceGroup, opts.gallery, image)) {
        if (!old(v.created)) continue;
        const gone =
          opts.dryRun ||
          (await deleteGalleryImageVersion(arm, {
            resourceGroup: opts.resourceGroup,
            gallery: opts.gallery,
            image,
            version: v.version,
            ...log,
          }));
        if (gone) out.versions.push({ gallery: opts.gallery, image, version: v.version, created: v.created });
      }
    }
  }
  for (const i of await listAzureImages(arm, opts.resourceGroup)) {
    if (!old(i.created)) continue;
    if (opts.dryRun || (await deleteAzureImage(arm, opts.resourceGroup, i.name, log)))
      out.images.push({ name: i.name, created: i.created });
  }
  return out;
}

/** ARM's answers for a delete of something another resource still uses (a race with a new run). */
const IN_USE = new Set([
  'NicInUse',
  'PublicIPAddressCannotBeDeleted',
  'InUseSubnetCannotBeDeleted',
  'InUseNetworkInterfaceCannotBeDeleted',
]);

/**
 * The VMs kola made (CreatedBy=mantle) older than the cutoff by their CreatedAt tag, then the
 * NICs, public IPs and vnets of ours that are old and that nothing left standing uses, in the
 * order ARM lets them go. Usage is worked out from the listings (so a dry run lists the same
 * set); what ARM still refuses as in use is kept with a warning.
 */
async function gcAzureMachines(
  arm: AzureArm,
  o: { resourceGroup: string; cutoff: number; dryRun?: boolean; logger?: Logger; out: AzureGcResult },
): Promise<void> {
  const rg = o.resourceGroup;
  const ours = (tags: Record<string, string>): boolean => tags.CreatedBy === 'mantle';
  const old = (tags: Record<string, string>): boolean => {
    const t = tags.CreatedAt ? Date.parse(tags.CreatedAt) : NaN;
    return Number.isFinite(t) && t < o.cutoff;
  };
  const low = (id: string): string => id.toLowerCase();
  const log = o.logger ? { logger: o.logger } : {};
  const remove = async (what: string, name: string, del: () => Promise<boolean>): Promise<boolean> => {
    if (o.dryRun) return true;
    try {
      return await del();
    } catch (err) {
      const armCode = (err as { details?: { armCode?: string } }).details?.armCode;
      if (!armCode || !IN_USE.has(armCode)) throw err;
      o.logger?.warn(`${what} ${name} is in use, kept`);
      return false;
    }
  };

  const vms = await listAzureVms(arm, rg);
  const doomedVms = vms.filter((v) => ours(v.tags) && old(v.tags));
  const usedNics = new Set(
    vms.filter((v) => !doomedVms.includes(v)).flatMap((v) => v.networkInterfaces.map(low)),
  );
  for (const v of doomedVms)
    if (await remove('VM', v.name, () => deleteAzureVm(arm, rg, v.name, log))) o.out.vms.push(v.name);

  const nics = await listAzureNetResources(arm, 'networkInterfaces', rg);
  const doomedNics = nics.filter((n) => ours(n.tags) && old(n.tags) && !usedNics.has(low(n.id)));
  const liveNics = nics.filter((n) => !doomedNics.includes(n));
  const usedIps = new Set(liveNics.flatMap((n) => n.publicIpIds.map(low)));
  const usedVnets = new Set(
    liveNics.flatMap((n) => n.subnetIds.map((s) => low(s.replace(/\/subnets\/.*$/i, '')))),
  );
  const sweep = async (
    kind: AzureNetKind,
    candidates: { name: string; id: string }[],
    into: string[],
  ): Promise<void> => {
    for (const r of candidates)
      if (await remove(kind, r.name, () => deleteAzureNetResource(arm, kind, rg, r.name, log)))
        into.push(r.name);
  };
  await sweep('networkInterfaces', doomedNics, o.out.nics);
  const aged = async (kind: AzureNetKind, used: Set<string>): Promise<{ name: string; id: string }[]> =>
    (await listAzureNetResources(arm, kind, rg)).filter(
      (r) => ours(r.tags) && old(r.tags) && !used.has(low(r.id)),
    );
  await sweep('publicIPAddresses', await aged('publicIPAddresses', usedIps), o.out.publicIps);
  await sweep('virtualNetworks', await aged('virtualNetworks', usedVnets), o.out.vnets);
}
