import { randomUUID } from 'node:crypto';
import { InputError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { checkCloudName } from '../cloud/names.js';
import { pollUntil } from '../cloud/wait.js';
import {
  gceError,
  gceFailure,
  GrpcCode,
  isGceAlreadyExists,
  isGceNotFound,
  type GceClients,
} from './clients.js';
import { waitGceOperation, type GceOperation } from './operations.js';

/** The label every resource ore makes on GCE carries, and `ore gcloud gc` looks for. */
export const GCE_MANTLE_LABEL = { 'created-by': 'mantle' } as const;

/** The guest OS features Flatcar images declare (mantle's set). */
export const GCE_GUEST_OS_FEATURES = ['VIRTIO_SCSI_MULTIQUEUE', 'UEFI_COMPATIBLE', 'GVNIC'] as const;

/** Image deprecation states. */
export const GCE_DEPRECATION_STATES = ['ACTIVE', 'DEPRECATED', 'OBSOLETE', 'DELETED'] as const;
export type GceDeprecationState = (typeof GCE_DEPRECATION_STATES)[number];

/** A GCE image as ore lists it. */
export interface GceImageInfo {
  name: string;
  id: string;
  status: string;
  family?: string;
  /** the GCS tarball it was made from */
  source?: string;
  created: string;
  labels: Record<string, string>;
  licenses: string[];
  guestOsFeatures: string[];
  /** DEPRECATED, OBSOLETE or DELETED when deprecated */
  deprecated?: string;
  selfLink: string;
}

interface ImageResource {
  name?: string | null;
  id?: string | number | null;
  status?: string | null;
  family?: string | null;
  rawDisk?: { source?: string | null } | null;
  creationTimestamp?: string | null;
  labels?: Record<string, string> | null;
  licenses?: string[] | null;
  guestOsFeatures?: { type?: string | null }[] | null;
  deprecated?: { state?: string | null } | null;
  selfLink?: string | null;
}

function gceImageInfo(r: ImageResource): GceImageInfo {
  return {
    name: r.name ?? '',
    id: String(r.id ?? ''),
    status: String(r.status ?? ''),
    ...(r.family ? { family: r.family } : {}),
    ...(r.rawDisk?.source ? { source: r.rawDisk.source } : {}),
    created: r.creationTimestamp ?? '',
    labels: { ...(r.labels ?? {}) },
    licenses: r.licenses ?? [],
    guestOsFeatures: (r.guestOsFeatures ?? []).map((f) => String(f.type ?? '')),
    ...(r.deprecated?.state && r.deprecated.state !== 'ACTIVE' ? { deprecated: r.deprecated.state } : {}),
    selfLink: r.selfLink ?? '',
  };
}

/**
 * A GCE image name from a version or path the way mantle made them: `.`, `+` and `/` become `-`,
 * upper case is lowered, and a name not starting with a letter gets a `v` in front.
 */
export function gceImageName(name: string): string {
  let n = name.replace(/[.+/_]/g, '-').toLowerCase();
  if (n && !/^[a-z]/.test(n)) n = `v${n}`;
  return n;
}

/** `gs://bucket/object` or an https storage URL as the URL images.insert takes. */
export function gcsSourceUrl(source: string): string {
  const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(source);
  if (m) return `https://storage.googleapis.com/${m[1]}/${m[2]}`;
  if (/^https:\/\/storage\.googleapis\.com\/[^/]+\/.+/.test(source)) return source;
  throw new InputError({
    code: 'GCE_BAD_SOURCE',
    message: `${JSON.stringify(source)} is not a GCS object URL`,
    hint: 'name the image tarball as gs://bucket/path/flatcar_production_gce.tar.gz',
    details: { value: source },
  });
}

/** The image of this name in the project, or undefined. */
export async function getGceImage(gce: GceClients, name: string): Promise<GceImageInfo | undefined> {
  try {
    return gceImageInfo(
      await gce.call<ImageResource>('images', 'get', { project: gce.projectId, image: name }),
    );
  } catch (err) {
    if (isGceNotFound(err)) return undefined;
    throw gceError(err, { gce, what: `looking up image ${name}` });
  }
}

/** Images of the project: ours (label created-by=mantle) unless `all`, optionally by name prefix or family. */
export async function listGceImages(
  gce: GceClients,
  filter: { prefix?: string; family?: string; all?: boolean; labels?: Record<string, string> } = {},
): Promise<GceImageInfo[]> {
  const terms: string[] = [];
  const labels = { ...(filter.all ? {} : GCE_MANTLE_LABEL), ...filter.labels };
  for (const [k, v] of Object.entries(labels)) terms.push(`(labels.${k} = "${v}")`);
  if (filter.family) terms.push(`(family = "${filter.family}")`);
  if (filter.prefix) terms.push(`(name eq "${filter.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*")`);
  try {
    const items = await gce.call<ImageResource[]>('images', 'list', {
      project: gce.projectId,
      ...(terms.length ? { filter: terms.join(' AND ') } : {}),
    });
    return items
      .map(gceImageInfo)
      .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  } catch (err) {
    throw gceError(err, { gce, what: 'listing images' });
  }
}

/** A license by short name (this project) or `projects/P/global/licenses/L`, as its self link. */
export async function resolveGceLicense(gce: GceClients, license: string): Promise<string> {
  const m = /^(?:.*\/)?projects\/([^/]+)\/global\/licenses\/([^/]+)$/.exec(license);
  const project = m ? m[1]! : gce.projectId;
  const name = m ? m[2]! : license;
  try {
    const r = await gce.call<{ selfLink?: string }>('licenses', 'get', { project, license: name });
    return r.selfLink ?? `projects/${project}/global/licenses/${name}`;
  } catch (err) {
    if (isGceNotFound(err))
      throw new InputError({
        code: 'GCE_UNKNOWN_LICENSE',
        message: `--license ${JSON.stringify(license)}: no such license in project ${project}`,
        hint: 'name a license of the project, or one of another project as projects/P/global/licenses/NAME',
        cause: err,
        details: { flag: '--license', value: license },
      });
    throw gceError(err, { gce, what: `looking up license ${license}` });
  }
}

export interface CreateGceImageOptions {
  name: string;
  /** the image tarball: gs://bucket/object or https://storage.googleapis.com/bucket/object */
  source: string;
  family?: string;
  description?: string;
  /** short names (this project) or projects/P/global/licenses/L */
  licenses?: string[];
  labels?: Record<string, string>;
  /** region or multi-region the image is stored in (default: GCE's choice) */
  storageLocation?: string;
  /** replace an image of the name made from another source */
  force?: boolean;
  logger?: Logger;
}

/** What createGceImage did. */
export interface CreateGceImageResult extends GceImageInfo {
  /** true when an image of the name from the same source existed and was kept */
  reused: boolean;
}

/**
 * Create an image from a GCS tarball as mantle does (guest OS features VIRTIO_SCSI_MULTIQUEUE,
 * UEFI_COMPATIBLE and GVNIC, licenses, family, label created-by=mantle) and wait for it.
 * Idempotent: an image of the name from the same source is reused (one still PENDING from a
 * killed run is waited for); one from another source is an error unless `force` replaces it.
 */
export async function createGceImage(
  gce: GceClients,
  opts: CreateGceImageOptions,
): Promise<CreateGceImageResult> {
  checkCloudName('gce-image', opts.name, '--name');
  const source = gcsSourceUrl(opts.source);
  const log = opts.logger;
  const existing = await getGceImage(gce, opts.name);
  if (existing) {
    if (existing.source === source && existing.status !== 'FAILED' && !opts.force) {
      log?.info(`image ${opts.name} from ${source} exists: reused`);
      return { ...(await waitGceImageReady(gce, opts.name)), reused: true };
    }
    if (!opts.force)
      throw new InputError({
        code: 'GCE_IMAGE_EXISTS',
        message: `image ${opts.name} exists in project ${gce.projectId}, made from ${existing.source ?? 'another source'}, not ${source}`,
        hint: 'pass --force to replace it, or pick another --name',
        details: { image: opts.name, source: existing.source },
      });
    log?.info(`replacing image ${opts.name}`);
    await deleteGceImages(gce, [opts.name], log ? { logger: log } : {});
  }
  const licenses = await Promise.all((opts.licenses ?? []).map((l) => resolveGceLicense(gce, l)));
  const imageResource = {
    name: opts.name,
    ...(opts.family ? { family: opts.family } : {}),
    ...(opts.description ? { description: opts.description } : {}),
    licenses,
    guestOsFeatures: GCE_GUEST_OS_FEATURES.map((type) => ({ type })),
    rawDisk: { source },
    labels: { ...GCE_MANTLE_LABEL, ...opts.labels },
    ...(opts.storageLocation ? { storageLocations: [opts.storageLocation] } : {}),
  };
  log?.info(`creating image ${opts.name} from ${source}`);
  let op: GceOperation;
  try {
    op = await gce.call<GceOperation>('images', 'insert', {
      project: gce.projectId,
      imageResource,
      requestId: randomUUID(),
    });
  } catch (err) {
    // another run made it meanwhile: take theirs if it is the same
    if (isGceAlreadyExists(err)) return createGceImage(gce, { ...opts, force: false });
    throw gceError(err, { gce, what: `creating image ${opts.name}` });
  }
  try {
    await waitGceOperation(gce, op, { what: `creating image ${opts.name}` });
  } catch (err) {
    const code = ((err as OperationError).details?.errors as { code?: string }[] | undefined)?.[0]?.code;
    if (code === 'RESOURCE_NOT_FOUND')
      throw new InputError({
        code: 'GCE_SOURCE_NOT_FOUND',
        message: `creating image ${opts.name}: the tarball ${source} does not exist (or the GCE service agent cannot read it)`,
        hint: 'upload it first (ore gcloud upload), or grant the project read access to the bucket',
        cause: err,
      });
    throw gceError(err, { gce, what: `creating image ${opts.name}` });
  }
  const made = await getGceImage(gce, opts.name);
  if (!made)
    throw new OperationError({
      code: 'GCE_IMAGE_MISSING',
      message: `image ${opts.name} is gone right after it was made`,
    });
  return { ...made, reused: false };
}

/** Wait until an image is READY (a PENDING one is being made by another or an earlier run). */
export async function waitGceImageReady(gce: GceClients, name: string): Promise<GceImageInfo> {
  return pollUntil(
    async () => {
      const i = await getGceImage(gce, name);
      if (!i)
        throw new OperationError({
          code: 'GCE_IMAGE_MISSING',
          message: `image ${name} disappeared while it was being made`,
        });
      if (i.status === 'FAILED')
        throw new OperationError({
          code: 'GCE_IMAGE_FAILED',
          message: `image ${name} failed`,
          hint: 'delete it and create it again',
        });
      return i.status === 'READY' ? i : undefined;
    },
    {
      what: `image ${name} to be READY`,
      initialMs: gce.options.pollMs ?? 1000,
      maxMs: 10_000,
      ...(gce.options.signal ? { signal: gce.options.signal } : {}),
    },
  );
}

/** Delete images by name and wait; missing ones are reported, not an error. */
export async function deleteGceImages(
  gce: GceClients,
  names: readonly string[],
  opts: { logger?: Logger } = {},
): Promise<{ deleted: string[]; missing: string[] }> {
  const out = { deleted: [] as string[], missing: [] as string[] };
  await Promise.all(
    names.map(async (name) => {
      let op: GceOperation;
      try {
        op = await gce.call<GceOperation>('images', 'delete', {
          project: gce.projectId,
          image: name,
          requestId: randomUUID(),
        });
      } catch (err) {
        if (isGceNotFound(err)) {
          out.missing.push(name);
          return;
        }
        throw gceError(err, { gce, what: `deleting image ${name}` });
      }
      await waitGceOperation(gce, op, { what: `deleting image ${name}` });
      opts.logger?.info(`deleted image ${name}`);
      out.deleted.push(name);
    }),
  );
  out.deleted.sort();
  out.missing.sort();
  return out;
}

/** Set an image's deprecation state (plume deprecates the older images of a family on release). */
export async function deprecateGceImage(
  gce: GceClients,
  name: string,
  opts: { state: GceDeprecationState; replacement?: string; logger?: Logger },
): Promise<void> {
  const replacement = opts.replacement
    ? opts.replacement.includes('/')
      ? opts.replacement
      : `projects/${gce.projectId}/global/images/${opts.replacement}`
    : undefined;
  let op: GceOperation;
  try {
    op = await gce.call<GceOperation>('images', 'deprecate', {
      project: gce.projectId,
      image: name,
      deprecationStatusResource: { state: opts.state, ...(replacement ? { replacement } : {}) },
      requestId: randomUUID(),
    });
  } catch (err) {
    if (isGceNotFound(err))
      throw new InputError({
        code: 'GCE_IMAGE_NOT_FOUND',
        message: `no image ${name} in project ${gce.projectId}`,
        hint: 'ore gcloud list-images --all lists them',
        cause: err,
      });
    throw gceError(err, { gce, what: `deprecating image ${name}` });
  }
  await waitGceOperation(gce, op, { what: `deprecating image ${name}` });
  opts.logger?.info(`image ${name}: ${opts.state}${replacement ? ` (replacement ${replacement})` : ''}`);
}

/** Let every authenticated Google user launch the image (binding roles/compute.imageUser), as mantle's --public. */
export async function setGceImagePublic(gce: GceClients, name: string): Promise<void> {
  try {
    const policy = await gce.call<{ bindings?: { role?: string; members?: string[] }[]; etag?: string }>(
      'images',
      'getIamPolicy',
      { project: gce.projectId, resource: name },
    );
    const bindings = policy.bindings ?? [];
    const b = bindings.find((x) => x.role === 'roles/compute.imageUser');
    if (b?.members?.includes('allAuthenticatedUsers')) return;
    if (b) b.members = [...(b.members ?? []), 'allAuthenticatedUsers'];
    else bindings.push({ role: 'roles/compute.imageUser', members: ['allAuthenticatedUsers'] });
    await gce.call('images', 'setIamPolicy', {
      project: gce.projectId,
      resource: name,
      globalSetPolicyRequestResource: { policy: { ...policy, bindings } },
    });
  } catch (err) {
    throw gceError(err, { gce, what: `making image ${name} public` });
  }
}

// Label keys and values GCE takes: at most 63 of lower-case letters, digits, `_` and `-`.
const LABEL_KEY = /^[a-z][-_a-z0-9]{0,62}$/;
const LABEL_VALUE = /^[-_a-z0-9]{0,63}$/;

/** A string as a GCE label value: lower case, anything else than a-z 0-9 _ - as `-` (4081.2.0 → 4081-2-0). */
export function gceLabelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^-_a-z0-9]/g, '-')
    .slice(0, 63);
}

/**
 * Add labels to an image (others it has stay), through images.setLabels with the fingerprint of
 * the labels read just before (GCE refuses a stale one: then read and try again). Returns false
 * when the image had them all already, so a rerun makes no call.
 */
export async function setGceImageLabels(
  gce: GceClients,
  name: string,
  labels: Record<string, string>,
  opts: { logger?: Logger } = {},
): Promise<boolean> {
  for (const [k, v] of Object.entries(labels))
    if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(v))
      throw new InputError({
        code: 'GCE_BAD_LABEL',
        message: `label ${k}=${v}: GCE labels are at most 63 lower-case letters, digits, _ and - (keys start with a letter)`,
        hint: 'lower-case the label and replace other characters by - (gceLabelValue does)',
        details: { label: k, value: v },
      });
  for (let attempt = 1; ; attempt++) {
    let cur: { labels?: Record<string, string> | null; labelFingerprint?: string | null };
    try {
      cur = await gce.call('images', 'get', { project: gce.projectId, image: name });
    } catch (err) {
      throw gceError(err, { gce, what: `reading the labels of image ${name}` });
    }
    const have = cur.labels ?? {};
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return false;
    let op: GceOperation;
    try {
      op = await gce.call<GceOperation>('images', 'setLabels', {
        project: gce.projectId,
        resource: name,
        globalSetLabelsRequestResource: {
          labels: { ...have, ...labels },
          labelFingerprint: cur.labelFingerprint ?? '',
        },
      });
    } catch (err) {
      // someone changed the labels between our get and set: read them again
      if (gceFailure(err).code === GrpcCode.FAILED_PRECONDITION && attempt < 3) continue;
      throw gceError(err, { gce, what: `labelling image ${name}` });
    }
    await waitGceOperation(gce, op, { what: `labelling image ${name}` });
    opts.logger?.info(
      `image ${name}: labels ${Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
    return true;
  }
}

/** What rotateGceFamily did. */
export interface GceFamilyRotation {
  family: string;
  /** the image that stays ACTIVE, the replacement of the others */
  current: string;
  /** older images (within the limit) set DEPRECATED now, newest first */
  deprecated: string[];
  /** older images already deprecated before (left as they were) */
  alreadyDeprecated: string[];
  /** older images beyond the limit, deleted now */
  deleted: string[];
}

/**
 * Rotate a family after a release, as mantle's plume does: the other images of the family that
 * are still ACTIVE become DEPRECATED with `current` as their replacement (so `--image-family`
 * users and the console point at the new one), and when `limit` > 0 the older images beyond the
 * newest `limit` are deleted. Images of the family are told apart by creation time; `match` narrows them
 * (plume keeps amd64 and arm64 images of one family apart by name). Idempotent: images already
 * deprecated are left alone and deleted ones are no longer listed, so a rerun changes nothing.
 */
export async function rotateGceFamily(
  gce: GceClients,
  opts: {
    family: string;
    current: string;
    limit: number;
    match?: (image: GceImageInfo) => boolean;
    logger?: Logger;
  },
): Promise<GceFamilyRotation> {
  const out: GceFamilyRotation = {
    family: opts.family,
    current: opts.current,
    deprecated: [],
    alreadyDeprecated: [],
    deleted: [],
  };
  const current = await getGceImage(gce, opts.current);
  if (!current || current.status !== 'READY')
    throw new OperationError({
      code: 'GCE_IMAGE_NOT_READY',
      message: `image ${opts.current} is ${current ? current.status : 'missing'}: the family ${opts.family} is not rotated to it`,
      hint: 'create the image first (ore gcloud create-image, plume release)',
    });
  // every image of the family, ours or not (older releases were made by other tools), newest first
  const older = (await listGceImages(gce, { family: opts.family, all: true }))
    .filter((i) => i.name !== opts.current && i.family === opts.family && (opts.match?.(i) ?? true))
    .reverse();
  // beyond the limit: deleted (not deprecated first); within it: deprecated
  const doomed = opts.limit > 0 ? older.slice(opts.limit) : [];
  for (const img of opts.limit > 0 ? older.slice(0, opts.limit) : older) {
    if (img.deprecated) {
      out.alreadyDeprecated.push(img.name);
      continue;
    }
    await deprecateGceImage(gce, img.name, {
      state: 'DEPRECATED',
      replacement: opts.current,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    out.deprecated.push(img.name);
  }
  if (doomed.length > 0) {
    const r = await deleteGceImages(
      gce,
      doomed.map((i) => i.name),
      opts.logger ? { logger: opts.logger } : {},
    );
    out.deleted = r.deleted;
  }
  return out;
}
