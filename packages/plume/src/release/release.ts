import { awsPublish } from '../destinations/aws.js';
import {
  azurePublish,
  azureShareGallery,
  type AzurePublished,
  type AzureShared,
} from '../destinations/azure.js';
import { gceCreateImage, gceRotateFamily, type GceImageResult } from '../destinations/gce.js';
import { sourceArtifacts, syncStorage, type SyncResult } from '../destinations/storage.js';
import type { RunContext } from './run-context.js';
import { checkVersionTxt, fetchArtifact } from './source.js';

export interface ReleaseResult {
  channel: string;
  board: string;
  version: string;
  alreadyDone: boolean;
  aws?: { partition: string; region: string; imageId: string }[];
  azure?: AzurePublished & { community?: AzureShared };
  gce?: GceImageResult & { deprecated: string[]; deleted: string[] };
  storage: SyncResult[];
}

/**
 * release: make the pre-released images public (AWS launch permission in every region; the GCE
 * image made in its family from the staged tarball, public, older ones of the family deprecated;
 * the Azure blob checked and, with azure.gallery, a gallery image version published from it and,
 * with azure.gallery.community, the gallery shared publicly as a community gallery),
 * copy the build's artifacts to the public stores and rebuild their index pages. Every step
 * journaled.
 */
export async function release(ctx: RunContext): Promise<ReleaseResult> {
  const r = ctx.release;
  const j = ctx.journal;
  const out: ReleaseResult = {
    channel: r.channel,
    board: r.board,
    version: r.version,
    alreadyDone: j.alreadyFinished,
    storage: [],
  };
  await j.step('version-txt', `check ${r.source}version.txt`, () => checkVersionTxt(ctx));
  if (r.aws) {
    out.aws = [];
    for (const part of r.aws.partitions)
      for (const region of part.regions) {
        const p = await j.step(
          `aws:${part.name}:${region}:public`,
          `AWS ${part.name} ${region}: make ${r.aws.amiName} public`,
          () => awsPublish(ctx, part, region),
        );
        out.aws.push({ partition: part.name, region, imageId: p.imageId });
      }
  }
  if (r.gce) {
    const g = r.gce;
    const img = await j.step(
      'gce:image',
      `GCE ${g.project}: image ${g.imageName} in family ${g.family}, public`,
      async () => gceCreateImage(ctx, (await fetchArtifact(ctx, g.image)).path),
    );
    const rot = await j.step(
      'gce:family',
      `GCE ${g.project}: deprecate the older images of ${g.family}${g.limit > 0 ? `, delete those beyond ${g.limit}` : ''}`,
      () => gceRotateFamily(ctx),
    );
    out.gce = { ...img, deprecated: rot.deprecated, deleted: rot.deleted };
  }
  if (r.azure) {
    out.azure = await j.step('azure:publish', `Azure: publish ${r.azure.blobName}`, () => azurePublish(ctx));
    const g = r.azure.gallery;
    if (g?.community)
      out.azure.community = await j.step(
        'azure:community',
        `Azure: share gallery ${g.name} as community gallery ${g.community.publicNamePrefix}-…`,
        () => azureShareGallery(ctx),
      );
  }
  if (r.storage.length > 0) {
    const known = [
      'version.txt',
      ...[r.aws?.image, r.azure?.image, r.gce?.image]
        .filter((x): x is string => !!x)
        .flatMap((n) => [n, `${n}.sig`]),
    ];
    const artifacts = await j.step('artifacts', `list the artifacts of ${r.source}`, () =>
      sourceArtifacts(ctx, known),
    );
    for (const dest of r.storage)
      out.storage.push(
        await j.step(
          `storage:${dest.url}`,
          `copy ${artifacts.length} artifact(s) to ${dest.url} ${dest.paths.join(', ')}`,
          () => syncStorage(ctx, dest, artifacts),
        ),
      );
  }
  await j.finish();
  return out;
}
