import type { Logger } from '@mantle/core/log';
import type { Image } from '@azure/arm-compute';
import { mantleTags, type AzureArm } from './arm-clients.js';

// Managed images (Microsoft.Compute/images) made from an uploaded page-blob VHD: what
// `ore azure create-image` and kola's azure platform boot from.

/** An image as ore lists it. */
export interface AzureImageInfo {
  name: string;
  id: string;
  resourceGroup: string;
  location: string;
  blobUri?: string;
  hyperVGeneration: string;
  provisioningState: string;
  /** the CreatedAt tag (ISO), when ore made it */
  created?: string;
  tags: Record<string, string>;
}

export type HyperVGeneration = 'V1' | 'V2';

export interface CreateAzureImageOptions {
  resourceGroup: string;
  name: string;
  location: string;
  /** the VHD page blob's URL */
  blobUri: string;
  hyperVGeneration?: HyperVGeneration;
  tags?: Record<string, string>;
  logger?: Logger;
}

/** The ARM id of a resource group's resource. */
export function armId(arm: Pick<AzureArm, 'subscriptionId'>, resourceGroup: string, path: string): string {
  return `/subscriptions/${arm.subscriptionId}/resourceGroups/${resourceGroup}/providers/${path}`;
}

function info(img: Image, resourceGroup: string): AzureImageInfo {
  return {
    name: img.name ?? '',
    id: img.id ?? '',
    resourceGroup,
    location: img.location,
    ...(img.storageProfile?.osDisk?.blobUri ? { blobUri: img.storageProfile.osDisk.blobUri } : {}),
    hyperVGeneration: img.hyperVGeneration ?? 'V1',
    provisioningState: img.provisioningState ?? 'Unknown',
    ...(img.tags?.CreatedAt ? { created: img.tags.CreatedAt } : {}),
    tags: img.tags ?? {},
  };
}

/** The image of that name, if there is one. */
export async function getAzureImage(
  arm: AzureArm,
  resourceGroup: string,
  name: string,
): Promise<AzureImageInfo | undefined> {
  const img = await arm.find('images.get', { resourceGroup, name }, (c) => c.images.get(resourceGroup, name));
  return img ? info(img, resourceGroup) : undefined;
}

/**
 * A managed image from a VHD page blob, tagged CreatedBy=mantle. An image of the name made from
 * the same blob is reused (a rerun changes nothing); one made from another blob is an error
 * rather than a silent replacement.
 */
export async function createAzureImage(
  arm: AzureArm,
  opts: CreateAzureImageOptions,
): Promise<AzureImageInfo & { reused: boolean }> {
  const existing = await getAzureImage(arm, opts.resourceGroup, opts.name);
  if (existing && existing.provisioningState === 'Succeeded') {
    if (existing.blobUri !== opts.blobUri) {
      const { InputError } = await import('@mantle/core/errors');
      throw new InputError({
        code: 'AZURE_IMAGE_EXISTS',
        message: `image ${opts.name} in ${opts.resourceGroup} exists and was made from ${existing.blobUri ?? 'another source'}`,
        hint: 'pick another --image-name, or delete it first (ore azure delete-image)',
        details: { image: opts.name, blobUri: existing.blobUri },
      });
    }
    opts.logger?.info(`image ${opts.name} exists (from ${opts.blobUri}): reused`);
    return { ...existing, reused: true };
  }
  const params: Image = {
    location: opts.location,
    tags: mantleTags(opts.tags),
    hyperVGeneration: opts.hyperVGeneration ?? 'V1',
    storageProfile: {
      osDisk: { osType: 'Linux', osState: 'Generalized', blobUri: opts.blobUri, caching: 'ReadWrite' },
    },
  };
  opts.logger?.info(`creating image ${opts.name} in ${opts.resourceGroup} from ${opts.blobUri}`);
  const img = await arm.call(
    'images.createOrUpdate',
    { resourceGroup: opts.resourceGroup, name: opts.name, image: params },
    (c) => c.images.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.name, params, arm.poll),
    {
      ...params,
      name: opts.name,
      id: armId(arm, opts.resourceGroup, `Microsoft.Compute/images/${opts.name}`),
      provisioningState: 'Succeeded',
    },
  );
  return { ...info(img, opts.resourceGroup), reused: false };
}

/** The images of a resource group (only ore's, tagged CreatedBy=mantle, unless `all`). */
export async function listAzureImages(
  arm: AzureArm,
  resourceGroup: string,
  opts: { all?: boolean; prefix?: string } = {},
): Promise<AzureImageInfo[]> {
  const images = await arm.call(
    'images.listByResourceGroup',
    { resourceGroup },
    async (c) => {
      const out: Image[] = [];
      for await (const i of c.images.listByResourceGroup(resourceGroup)) out.push(i);
      return out;
    },
    [] as Image[],
  );
  return images
    .map((i) => info(i, resourceGroup))
    .filter((i) => opts.all || i.tags.CreatedBy === 'mantle')
    .filter((i) => !opts.prefix || i.name.startsWith(opts.prefix))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Delete an image; false when there was none. */
export async function deleteAzureImage(
  arm: AzureArm,
  resourceGroup: string,
  name: string,
  opts: { logger?: Logger } = {},
): Promise<boolean> {
  if (!arm.options.dryRun && !(await getAzureImage(arm, resourceGroup, name))) return false;
  opts.logger?.info(`deleting image ${name} in ${resourceGroup}`);
  await arm.call(
    'images.delete',
    { resourceGroup, name },
    (c) => c.images.beginDeleteAndWait(resourceGroup, name, arm.poll),
    undefined,
  );
  return true;
}
