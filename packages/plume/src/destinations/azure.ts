import { OperationError } from '@mantle/core/errors';
import { isAzureStore } from '@mantle/ore/storage';
import type { AzureArm } from '@mantle/ore';
import type { RunContext } from '../release/run-context.js';

// plume's Azure destination: the VHD as a page blob through ore's storage, the gallery image
// version (made from that blob) through ore's Azure Resource Manager layer.

async function container(ctx: RunContext) {
  const store = await ctx.stores.get(ctx.release.azure!.blobs.replace(/\/?$/, '/'));
  if (!isAzureStore(store))
    throw new OperationError({
      code: 'PLUME_AZURE_NOT_BLOB_STORE',
      message: `azure.blobs ${ctx.release.azure!.blobs} is not an Azure blob container`,
      hint: 'set azure.blobs to azure://account/container in the spec',
    });
  return store;
}

/** Pre-release: the fixed VHD as a page blob (only non-zero ranges sent; skipped when the same blob is there). */
export async function azureUpload(ctx: RunContext, vhd: string): Promise<{ blob: string; skipped: boolean }> {
  const store = await container(ctx);
  const name = ctx.release.azure!.blobName;
  const r = await store.putPageBlob(name, vhd, { skipIfSame: true, signal: ctx.signal });
  return { blob: store.url(name), skipped: r.skipped };
}

/** What the Azure release published. */
export interface AzurePublished {
  blob: string;
  /** the gallery image version's ARM id, when the spec has azure.gallery */
  galleryVersion?: string;
}

/**
 * Release: the blob must be there; with azure.gallery, a gallery image version named after the
 * release (MAJOR.MINOR.PATCH) is published from it, replicated to the gallery's regions. ore finds
 * a finished version from the same blob, so a rerun or a resumed run publishes nothing twice.
 */
export async function azurePublish(ctx: RunContext): Promise<AzurePublished> {
  const store = await container(ctx);
  const name = ctx.release.azure!.blobName;
  if (!(await store.stat(name)))
    throw new OperationError({
      code: 'PLUME_BLOB_MISSING',
      message: `${store.url(name)} does not exist`,
      hint: `run plume pre-release -C ${ctx.release.channel} -B ${ctx.release.board} -V ${ctx.release.version} first`,
    });
  const blob = store.url(name);
  const gallery = ctx.release.azure!.gallery;
  if (!gallery) return { blob };
  const ore = await import('@mantle/ore');
  const arm = await galleryArm(ctx, gallery.subscription);
  const location = gallery.regions[0]!;
  const base = { resourceGroup: gallery.resourceGroup, gallery: gallery.name, location, logger: ctx.logger };
  await ore.ensureGallery(arm, base);
  await ore.ensureGalleryImage(arm, {
    ...base,
    definition: {
      name: gallery.imageDefinition,
      publisher: 'flatcar',
      offer: 'flatcar-container-linux',
      sku: gallery.imageDefinition,
      ...(ctx.release.board.startsWith('arm64') ? { architecture: 'Arm64' as const } : {}),
    },
  });
  const v = await ore.createGalleryImageVersion(arm, {
    ...base,
    image: gallery.imageDefinition,
    version: gallery.version,
    regions: gallery.regions,
    source: {
      blobUri: blob,
      storageAccountId: ore.armId(
        arm,
        gallery.resourceGroup,
        `Microsoft.Storage/storageAccounts/${storageAccountOf(blob)}`,
      ),
    },
    tags: { channel: ctx.release.channel, version: ctx.release.version },
  });
  return { blob, galleryVersion: v.id };
}

/** What sharing the gallery with the community gave (the release's `azure:community` step). */
export interface AzureShared {
  /** the gallery's ARM id */
  gallery: string;
  /** the community gallery's public name(s), `<prefix>-<guid>` */
  publicNames: string[];
  /** the id anyone uses the release's version by, e.g. /CommunityGalleries/flatcar4azure-…/Images/…/Versions/4081.2.0 */
  communityVersion?: string;
  /** false when the gallery was shared already */
  changed: boolean;
}

/**
 * Release: make the gallery's versions public the way Azure does, as a community gallery with the
 * spec's publisher details (sharing is per gallery: every version in it is then public). Sharing
 * a shared gallery changes nothing, so a rerun or a resumed run is safe.
 */
export async function azureShareGallery(ctx: RunContext): Promise<AzureShared> {
  const gallery = ctx.release.azure!.gallery!;
  const ore = await import('@mantle/ore');
  const arm = await galleryArm(ctx, gallery.subscription);
  const s = await ore.shareGalleryWithCommunity(arm, {
    resourceGroup: gallery.resourceGroup,
    gallery: gallery.name,
    publisher: gallery.community!,
    logger: ctx.logger,
  });
  const name = s.publicNames[0];
  return {
    gallery: s.id,
    publicNames: s.publicNames,
    ...(name
      ? { communityVersion: ore.communityImageId(name, gallery.imageDefinition, gallery.version) }
      : {}),
    changed: s.changed,
  };
}

/** The storage account of a blob URL: https://ACCOUNT.blob.core.windows.net/..., or an emulator's http://host:port/ACCOUNT/... */
function storageAccountOf(blob: string): string {
  const u = new URL(blob);
  const emulator = /^[0-9.]+$|^localhost$/.test(u.hostname);
  return (emulator ? u.pathname.split('/')[1] : u.hostname.split('.')[0]) ?? u.hostname;
}

/** ore's Resource Manager client with the Azure credentials (AZURE_AUTH_LOCATION, the AZURE_* variables, ...). */
export async function galleryArm(
  ctx: Pick<RunContext, 'env' | 'cwd' | 'logger'> & { signal?: AbortSignal; pollMs?: number },
  subscription: string | undefined,
): Promise<AzureArm> {
  const { loadProfile } = await import('@mantle/core/profiles');
  const { azureArm } = await import('@mantle/ore');
  // a subscription id is used as is; a name selects it from ~/.azure/azureProfile.json
  const isId = !!subscription && /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(subscription);
  const creds = await loadProfile('azure', {
    ...(subscription && !isId ? { profile: subscription } : {}),
    env: ctx.env,
    cwd: ctx.cwd,
  });
  return azureArm({
    subscriptionId: isId ? subscription : creds.subscriptionId,
    credentials: creds,
    profile: creds.source,
    logger: ctx.logger,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.pollMs !== undefined ? { pollMs: ctx.pollMs } : {}),
  });
}
