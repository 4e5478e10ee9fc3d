import { amiListFiles, awsReplicate, awsUpload, type AmiMap } from '../destinations/aws.js';
import { azureUpload } from '../destinations/azure.js';
import { gceStage } from '../destinations/gce.js';
import { isHttpUrl } from '../fetch/object-url.js';
import type { RunContext } from './run-context.js';
import { checkVersionTxt, fetchArtifact, prepareArtifact } from './source.js';

export interface PreReleaseResult {
  channel: string;
  board: string;
  version: string;
  /** true when the journal said the run had finished before: nothing was done */
  alreadyDone: boolean;
  aws?: { partitions: { name: string; amis: AmiMap }[]; lists?: string[] };
  azure?: { blob: string };
  gce?: { object: string; uploaded: boolean };
}

/**
 * pre-release: check version.txt, fetch and verify each destination's artifact, convert it for
 * the destination, upload privately (AWS: snapshot + AMI in each partition, copied to its
 * regions; Azure: the page blob; GCE: the tarball staged in Cloud Storage, as GCE has no private
 * image before release), write the AMI lists beside the source. Every step journaled.
 */
export async function preRelease(ctx: RunContext): Promise<PreReleaseResult> {
  const r = ctx.release;
  const j = ctx.journal;
  const out: PreReleaseResult = {
    channel: r.channel,
    board: r.board,
    version: r.version,
    alreadyDone: j.alreadyFinished,
  };
  await j.step('version-txt', `check ${r.source}version.txt`, () => checkVersionTxt(ctx));

  if (r.aws) {
    const aws = r.aws;
    const partitions: { name: string; amis: AmiMap }[] = [];
    for (const part of aws.partitions) {
      const up = await j.step(
        `aws:${part.name}:upload`,
        `AWS ${part.name}: upload ${aws.image} as ${aws.amiName}`,
        async () => {
          const fetched = await fetchArtifact(ctx, aws.image);
          const img = await prepareArtifact(ctx, fetched.path, aws.format);
          return awsUpload(ctx, part, { path: img.path, format: aws.format });
        },
      );
      const amis = await j.step(
        `aws:${part.name}:replicate`,
        `AWS ${part.name}: copy ${up.imageId} to ${part.regions.length - 1} region(s)`,
        () => awsReplicate(ctx, part, up.imageId),
      );
      partitions.push({ name: part.name, amis });
    }
    const all: AmiMap = Object.assign({}, ...partitions.map((p) => p.amis)) as AmiMap;
    const lists = await j.step('aws:lists', `AMI lists beside ${r.source}`, async () => {
      if (isHttpUrl(r.source)) {
        ctx.logger.warn(`${r.source} is not a store plume can write: AMI lists not uploaded`);
        return [];
      }
      const store = await ctx.stores.get(r.source);
      const names: string[] = [];
      for (const f of amiListFiles(all)) {
        const name = `${aws.listPrefix}${f.name}`;
        await store.put(name, Buffer.from(f.content), {
          contentType: name.endsWith('.json') ? 'application/json' : 'text/plain',
          skipIfSame: true,
        });
        names.push(name);
      }
      return names;
    });
    out.aws = { partitions, lists };
  }

  if (r.gce) {
    const g = r.gce;
    out.gce = await j.step('gce:stage', `GCE: stage ${g.image} in ${g.staging}`, async () =>
      gceStage(ctx, (await fetchArtifact(ctx, g.image)).path),
    );
  }

  if (r.azure) {
    const az = r.azure;
    out.azure = await j.step(
      'azure:upload',
      `Azure: upload ${az.image} as page blob ${az.blobName}`,
      async () => {
        const fetched = await fetchArtifact(ctx, az.image);
        const vhd = await prepareArtifact(ctx, fetched.path, 'vhd');
        return azureUpload(ctx, vhd.path);
      },
    );
  }
  await j.finish();
  return out;
}
