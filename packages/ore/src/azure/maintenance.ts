import type { Logger } from '@mantle/core/log';
import type { AzureArm } from './arm-clients.js';
import { deleteGalleryImageVersion, listGalleryImages, listGalleryImageVersions } from './gallery.js';
import { deleteAzureImage, listAzureImages } from './images.js';

/** What `ore azure gc` removed (or, in a dry run, would remove). */
export interface AzureGcResult {
  resourceGroup: string;
  olderThan: string;
  /** nothing was deleted: these would be */
  dryRun: boolean;
  images: { name: string; created: string }[];
  versions: { gallery: string; image: string; version: string; created: string }[];
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
  };
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
