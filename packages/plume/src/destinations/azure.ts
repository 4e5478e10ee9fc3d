import { OperationError } from '@mantle/core/errors';
import { isAzureStore } from '@mantle/ore/storage';
import { missingOreLayer } from './missing.js';
import type { RunContext } from '../release/run-context.js';

// plume's Azure destination: the VHD as a page blob through ore's storage (exists), the gallery
// image version through ore's Azure Resource Manager layer (not in ore yet: an explicit error).

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

/** Release: the blob must be there; a gallery version is made from it (needs ore's ARM layer). */
export async function azurePublish(ctx: RunContext): Promise<{ blob: string }> {
  const store = await container(ctx);
  const name = ctx.release.azure!.blobName;
  if (!(await store.stat(name)))
    throw new OperationError({
      code: 'PLUME_BLOB_MISSING',
      message: `${store.url(name)} does not exist`,
      hint: `run plume pre-release -C ${ctx.release.channel} -B ${ctx.release.board} -V ${ctx.release.version} first`,
    });
  if (ctx.release.azure!.gallery) throw missingOreLayer('Azure gallery image versions', 'azure.gallery');
  return { blob: store.url(name) };
}
