import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { Gallery, GalleryImage, GalleryImageVersion } from '@azure/arm-compute';
import { mantleTags, type AzureArm } from './arm-clients.js';
import { armId, type HyperVGeneration } from './images.js';

// Shared Image Gallery (Azure Compute Gallery) resources: the gallery, an image definition
// (publisher/offer/sku, generation, architecture) and its versions, which are what releases
// publish (a version replicated to regions). Each step finds what a previous run made, so a rerun
// of a release changes nothing.

export interface GalleryImageDefinition {
  /** the image definition's name */
  name: string;
  publisher: string;
  offer: string;
  sku: string;
  hyperVGeneration?: HyperVGeneration;
  architecture?: 'x64' | 'Arm64';
  description?: string;
}

/** A gallery image version as ore lists it. */
export interface GalleryVersionInfo {
  gallery: string;
  image: string;
  version: string;
  id: string;
  location: string;
  regions: string[];
  provisioningState: string;
  /** publishedDate, else the CreatedAt tag */
  created?: string;
  excludeFromLatest: boolean;
  source?: string;
  tags: Record<string, string>;
}

export interface GalleryVersionSource {
  /** a managed image's ARM id */
  imageId?: string;
  /** or a VHD page blob and its storage account's ARM id */
  blobUri?: string;
  storageAccountId?: string;
}

export interface CreateGalleryVersionOptions {
  resourceGroup: string;
  gallery: string;
  image: string;
  /** MAJOR.MINOR.PATCH */
  version: string;
  location: string;
  source: GalleryVersionSource;
  /** regions it is replicated to (default: the location) */
  regions?: string[];
  excludeFromLatest?: boolean;
  tags?: Record<string, string>;
  logger?: Logger;
}

/** A gallery name as Azure allows them (letters, digits, _ and ., no hyphen, at most 80); else exit 2. */
export function checkGalleryName(name: string, flag = '--gallery-name'): string {
  if (/^[A-Za-z0-9](?:[A-Za-z0-9._]{0,78}[A-Za-z0-9])?$/.test(name)) return name;
  throw new InputError({
    code: 'CLOUD_BAD_NAME',
    message: `${flag} ${JSON.stringify(name)} is not a valid gallery name`,
    hint: 'use letters, digits, _ and . (no hyphen), starting and ending with a letter or digit, at most 80 characters',
    details: { flag, value: name },
  });
}

/** A gallery image version name (three 32-bit integers); else exit 2. */
export function checkGalleryVersion(version: string, flag = '--image-version'): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (m && m.slice(1).every((n) => Number(n) <= 2 ** 31 - 1)) return version;
  throw new InputError({
    code: 'CLOUD_BAD_NAME',
    message: `${flag} ${JSON.stringify(version)} is not a gallery image version`,
    hint: 'use MAJOR.MINOR.PATCH integers, e.g. 4081.2.0',
    details: { flag, value: version },
  });
}

/** Make the gallery unless it exists. */
export async function ensureGallery(
  arm: AzureArm,
  opts: { resourceGroup: string; gallery: string; location: string; logger?: Logger },
): Promise<{ id: string; created: boolean }> {
  const { resourceGroup, gallery } = opts;
  const have = await arm.find('galleries.get', { resourceGroup, gallery }, (c) =>
    c.galleries.get(resourceGroup, gallery),
  );
  if (have?.id) return { id: have.id, created: false };
  const params: Gallery = { location: opts.location, tags: mantleTags() };
  opts.logger?.info(`creating gallery ${gallery} in ${resourceGroup}`);
  const g = await arm.call(
    'galleries.createOrUpdate',
    { resourceGroup, gallery, params },
    (c) => c.galleries.beginCreateOrUpdateAndWait(resourceGroup, gallery, params, arm.poll),
    { ...params, id: armId(arm, resourceGroup, `Microsoft.Compute/galleries/${gallery}`) },
  );
  return { id: g.id ?? '', created: true };
}

/**
 * Make the image definition unless it exists; an existing one of another generation or
 * architecture is an error (Azure refuses to change them, and versions would not boot).
 */
export async function ensureGalleryImage(
  arm: AzureArm,
  opts: {
    resourceGroup: string;
    gallery: string;
    location: string;
    definition: GalleryImageDefinition;
    logger?: Logger;
  },
): Promise<{ id: string; created: boolean }> {
  const { resourceGroup, gallery, definition: d } = opts;
  const gen = d.hyperVGeneration ?? 'V2';
  const arch = d.architecture ?? 'x64';
  const have = await arm.find('galleryImages.get', { resourceGroup, gallery, image: d.name }, (c) =>
    c.galleryImages.get(resourceGroup, gallery, d.name),
  );
  if (have?.id) {
    // only what the caller asked for explicitly must match (a release uses whatever definition is there)
    const haveGen = have.hyperVGeneration ?? 'V1';
    const haveArch = have.architecture ?? 'x64';
    if ((d.hyperVGeneration && haveGen !== gen) || (d.architecture && haveArch !== arch))
      throw new InputError({
        code: 'AZURE_GALLERY_IMAGE_MISMATCH',
        message: `gallery image ${gallery}/${d.name} is ${haveGen} ${haveArch}, not ${gen} ${arch}`,
        hint: 'pass the matching --hyper-v-generation/--architecture, or use another --image-definition',
        details: { gallery, image: d.name },
      });
    return { id: have.id, created: false };
  }
  const params: GalleryImage = {
    location: opts.location,
    tags: mantleTags(),
    osType: 'Linux',
    osState: 'Generalized',
    hyperVGeneration: gen,
    architecture: arch,
    identifier: { publisher: d.publisher, offer: d.offer, sku: d.sku },
    ...(d.description ? { description: d.description } : {}),
  };
  opts.logger?.info(`creating gallery image ${gallery}/${d.name} (${gen}, ${arch})`);
  const g = await arm.call(
    'galleryImages.createOrUpdate',
    { resourceGroup, gallery, image: d.name, params },
    (c) => c.galleryImages.beginCreateOrUpdateAndWait(resourceGroup, gallery, d.name, params, arm.poll),
    { ...params, id: armId(arm, resourceGroup, `Microsoft.Compute/galleries/${gallery}/images/${d.name}`) },
  );
  return { id: g.id ?? '', created: true };
}

function versionInfo(v: GalleryImageVersion, gallery: string, image: string): GalleryVersionInfo {
  const sp = v.storageProfile;
  const source = sp?.source?.id ?? sp?.osDiskImage?.source?.uri;
  const published = v.publishingProfile?.publishedDate;
  const created = published ? new Date(published).toISOString() : v.tags?.CreatedAt;
  return {
    gallery,
    image,
    version: v.name ?? '',
    id: v.id ?? '',
    location: v.location,
    regions: (v.publishingProfile?.targetRegions ?? []).map((r) => r.name),
    provisioningState: v.provisioningState ?? 'Unknown',
    ...(created ? { created } : {}),
    excludeFromLatest: v.publishingProfile?.excludeFromLatest ?? false,
    ...(source ? { source } : {}),
    tags: v.tags ?? {},
  };
}

function sameSource(v: GalleryVersionInfo, s: GalleryVersionSource): boolean {
  return (v.source ?? '').toLowerCase() === (s.imageId ?? s.blobUri ?? '').toLowerCase();
}

/** The version, if it exists. */
export async function getGalleryImageVersion(
  arm: AzureArm,
  resourceGroup: string,
  gallery: string,
  image: string,
  version: string,
): Promise<GalleryVersionInfo | undefined> {
  const v = await arm.find('galleryImageVersions.get', { resourceGroup, gallery, image, version }, (c) =>
    c.galleryImageVersions.get(resourceGroup, gallery, image, version),
  );
  return v ? versionInfo(v, gallery, image) : undefined;
}

/**
 * Publish a gallery image version from a managed image or a VHD blob, replicated to `regions`.
 * A finished version from the same source is reused (a rerun of a release changes nothing); one
 * from another source is an error (versions are immutable: publish a new version instead).
 */
export async function createGalleryImageVersion(
  arm: AzureArm,
  opts: CreateGalleryVersionOptions,
): Promise<GalleryVersionInfo & { reused: boolean }> {
  const { resourceGroup, gallery, image, version, source } = opts;
  checkGalleryVersion(version, 'version');
  if (!source.imageId && !(source.blobUri && source.storageAccountId))
    throw new InputError({
      code: 'AZURE_NO_SOURCE',
      message:
        'a gallery image version needs a source: a managed image id, or a blob URL and its storage account id',
      hint: 'pass --source-image NAME, or --blob-name with --storage-account',
    });
  const existing = await getGalleryImageVersion(arm, resourceGroup, gallery, image, version);
  if (existing && existing.provisioningState === 'Succeeded') {
    if (!sameSource(existing, source))
      throw new InputError({
        code: 'AZURE_VERSION_EXISTS',
        message: `gallery image version ${gallery}/${image}/${version} exists from another source (${existing.source ?? 'unknown'})`,
        hint: 'gallery versions cannot be changed: publish another --image-version, or delete this one first',
        details: { gallery, image, version, source: existing.source },
      });
    opts.logger?.info(`gallery image version ${gallery}/${image}/${version} exists: reused`);
    return { ...existing, reused: true };
  }
  const regions = opts.regions?.length ? opts.regions : [opts.location];
  const params: GalleryImageVersion = {
    location: opts.location,
    tags: mantleTags(opts.tags),
    publishingProfile: {
      targetRegions: regions.map((name) => ({ name, regionalReplicaCount: 1 })),
      excludeFromLatest: opts.excludeFromLatest ?? false,
    },
    storageProfile: source.imageId
      ? { source: { id: source.imageId } }
      : {
          osDiskImage: {
            source: { uri: source.blobUri!, storageAccountId: source.storageAccountId! },
            hostCaching: 'ReadWrite',
          },
        },
  };
  opts.logger?.info(
    `publishing gallery image version ${gallery}/${image}/${version} to ${regions.join(', ')}`,
  );
  const v = await arm.call(
    'galleryImageVersions.createOrUpdate',
    { resourceGroup, gallery, image, version, params },
    (c) =>
      c.galleryImageVersions.beginCreateOrUpdateAndWait(
        resourceGroup,
        gallery,
        image,
        version,
        params,
        arm.poll,
      ),
    {
      ...params,
      name: version,
      id: armId(
        arm,
        resourceGroup,
        `Microsoft.Compute/galleries/${gallery}/images/${image}/versions/${version}`,
      ),
      provisioningState: 'Succeeded',
    },
  );
  return { ...versionInfo(v, gallery, image), reused: false };
}

/** The versions of a gallery image (only ore's, tagged CreatedBy=mantle, unless `all`). */
export async function listGalleryImageVersions(
  arm: AzureArm,
  resourceGroup: string,
  gallery: string,
  image: string,
  opts: { all?: boolean } = {},
): Promise<GalleryVersionInfo[]> {
  const versions = await arm.call(
    'galleryImageVersions.listByGalleryImage',
    { resourceGroup, gallery, image },
    async (c) => {
      const out: GalleryImageVersion[] = [];
      for await (const v of c.galleryImageVersions.listByGalleryImage(resourceGroup, gallery, image))
        out.push(v);
      return out;
    },
    [] as GalleryImageVersion[],
  );
  return versions
    .map((v) => versionInfo(v, gallery, image))
    .filter((v) => opts.all || v.tags.CreatedBy === 'mantle')
    .sort((a, b) => a.version.localeCompare(b.version, undefined, { numeric: true }));
}

/** The image definitions of a gallery (names). */
export async function listGalleryImages(
  arm: AzureArm,
  resourceGroup: string,
  gallery: string,
): Promise<string[]> {
  const images = await arm.call(
    'galleryImages.listByGallery',
    { resourceGroup, gallery },
    async (c) => {
      const out: string[] = [];
      for await (const i of c.galleryImages.listByGallery(resourceGroup, gallery)) out.push(i.name ?? '');
      return out;
    },
    [] as string[],
  );
  return images.sort();
}

/** Delete a gallery image version; false when there was none. */
export async function deleteGalleryImageVersion(
  arm: AzureArm,
  opts: { resourceGroup: string; gallery: string; image: string; version: string; logger?: Logger },
): Promise<boolean> {
  const { resourceGroup, gallery, image, version } = opts;
  if (!arm.options.dryRun && !(await getGalleryImageVersion(arm, resourceGroup, gallery, image, version)))
    return false;
  opts.logger?.info(`deleting gallery image version ${gallery}/${image}/${version}`);
  await arm.call(
    'galleryImageVersions.delete',
    { resourceGroup, gallery, image, version },
    (c) => c.galleryImageVersions.beginDeleteAndWait(resourceGroup, gallery, image, version, arm.poll),
    undefined,
  );
  return true;
}
