import type { GceClients, GceFamilyRotation } from '@mantle/ore';
import type { ObjectStore } from '@mantle/ore/storage';
import type { RunContext } from '../release/run-context.js';

// plume's GCE destination, through ore's GCE layer: pre-release stages the verified tarball in
// the spec's gs:// staging directory (private); release makes the image of the family from it
// (public, labelled with channel and version) and rotates the family: older images DEPRECATED
// with the new one as replacement, the oldest beyond the spec's limit deleted (mantle's plume).

/** ore's Compute clients for the spec's project: the key of GOOGLE_APPLICATION_CREDENTIALS (or gcloud's ADC file). */
export async function gceClientsFor(
  ctx: Pick<RunContext, 'env' | 'cwd' | 'logger'> & { signal?: AbortSignal; pollMs?: number },
  project: string,
): Promise<GceClients> {
  const { loadProfile } = await import('@mantle/core/profiles');
  const { gceClients, gceEndpointFromEnv } = await import('@mantle/ore');
  const key = await loadProfile('gce', { env: ctx.env, cwd: ctx.cwd });
  const endpoint = gceEndpointFromEnv(ctx.env);
  return gceClients({
    projectId: project,
    credentials: key.json as { client_email: string; private_key: string },
    profile: key.source,
    ...(endpoint ? { endpoint } : {}),
    logger: ctx.logger,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.pollMs !== undefined ? { pollMs: ctx.pollMs } : {}),
  });
}

/** The staging directory (the spec checks it is a gs:// URL: images.insert reads only Cloud Storage). */
async function stagingStore(ctx: RunContext): Promise<ObjectStore> {
  return ctx.stores.get(ctx.release.gce!.staging.replace(/\/?$/, '/'));
}

/** The labels the release puts on its image (GCE label values: lower case, `.` and `+` as `-`). */
async function releaseLabels(ctx: RunContext): Promise<Record<string, string>> {
  const { gceLabelValue } = await import('@mantle/ore');
  const r = ctx.release;
  return {
    channel: gceLabelValue(r.channel),
    version: gceLabelValue(r.version),
    board: gceLabelValue(r.board),
  };
}

/** Pre-release: the tarball into the staging directory (skipped when the same object is there). */
export async function gceStage(
  ctx: RunContext,
  tarball: string,
): Promise<{ object: string; uploaded: boolean }> {
  const store = await stagingStore(ctx);
  const name = ctx.release.gce!.image;
  const r = await store.put(name, tarball, {
    skipIfSame: true,
    contentType: 'application/gzip',
    signal: ctx.signal,
  });
  return { object: `gs://${store.bucket}/${store.objectName(name)}`, uploaded: !r.skipped };
}

/** What the release's GCE image step did. */
export interface GceImageResult {
  image: string;
  family: string;
  selfLink: string;
  /** gs:// URL of the tarball it was made from */
  object: string;
  /** false when the image of the name (same tarball) was there: a rerun */
  created: boolean;
}

/**
 * Release: the image `<family>-<version>` in the family from the staged tarball (the tarball is
 * staged again first if it is missing or differs), with the spec's licenses and description,
 * public (roles/compute.imageUser for allAuthenticatedUsers), labelled channel/version/board.
 */
export async function gceCreateImage(ctx: RunContext, tarball: string): Promise<GceImageResult> {
  const r = ctx.release;
  const g = r.gce!;
  const { uploadGceImage, setGceImageLabels } = await import('@mantle/ore');
  const store = await stagingStore(ctx);
  const gce = await gceClientsFor(ctx, g.project);
  try {
    const labels = await releaseLabels(ctx);
    const day = new Date().toISOString().slice(0, 10);
    const up = await uploadGceImage(gce, store, {
      file: tarball,
      key: g.image,
      imageName: g.imageName,
      family: g.family,
      description: `${g.description ? `${g.description}, ` : ''}${r.version}, ${r.board} published on ${day}`,
      licenses: g.licenses,
      labels,
      public: true,
      logger: ctx.logger,
      signal: ctx.signal,
    });
    // an image made earlier by hand (ore gcloud upload) lacks the release's labels
    if (up.reused) await setGceImageLabels(gce, g.imageName, labels, { logger: ctx.logger });
    return {
      image: up.image,
      family: g.family,
      selfLink: up.selfLink,
      object: up.object,
      created: !up.reused,
    };
  } finally {
    await gce.destroy();
  }
}

/** Release: older images of the family DEPRECATED (replacement: this release's), the oldest beyond the limit deleted. */
export async function gceRotateFamily(ctx: RunContext): Promise<GceFamilyRotation> {
  const g = ctx.release.gce!;
  const { rotateGceFamily } = await import('@mantle/ore');
  const gce = await gceClientsFor(ctx, g.project);
  // amd64 and arm64 images may share a family (arm64 ones end in -arm64): each rotates its own
  const arm64 = (name: string): boolean => name.endsWith('-arm64');
  try {
    return await rotateGceFamily(gce, {
      family: g.family,
      current: g.imageName,
      limit: g.limit,
      match: (i) => arm64(i.name) === arm64(g.imageName),
      logger: ctx.logger,
    });
  } finally {
    await gce.destroy();
  }
}
