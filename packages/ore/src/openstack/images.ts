import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { InputError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { refusedValue, type RestClient } from '../cloud/rest-client.js';
import { pollUntil } from '../cloud/wait.js';

// Glance v2 images: create the record (POST /v2/images), upload the data
// (PUT /v2/images/{id}/file), wait for `active`; listings by name or tag paged through `next`.

/** The tag ore puts on its images (Go mantle's); gc looks for it. */
export const OPENSTACK_MANTLE_TAG = 'mantle';

interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  disk_format?: string | null;
  container_format?: string | null;
  size?: number | null;
  checksum?: string | null;
  created_at: string;
  tags?: string[];
  visibility?: string;
  mantle_source?: string;
  os_glance_failed_import?: string;
}

/** What `ore openstack list-images` prints per image and `create-image` returns. */
export interface OpenStackImageInfo {
  id: string;
  name: string;
  status: string;
  diskFormat: string | null;
  size: number | null;
  checksum: string | null;
  created: string;
  tags: string[];
}

function info(i: GlanceImage): OpenStackImageInfo {
  return {
    id: i.id,
    name: i.name ?? '',
    status: i.status,
    diskFormat: i.disk_format ?? null,
    size: i.size ?? null,
    checksum: i.checksum ?? null,
    created: i.created_at,
    tags: i.tags ?? [],
  };
}

/** Images of the project (GET /v2/images, every page), by name or tag. */
export async function listOpenStackImages(
  glance: RestClient,
  opts: { all?: boolean; name?: string; prefix?: string } = {},
): Promise<OpenStackImageInfo[]> {
  const out: GlanceImage[] = [];
  let next: string | undefined = glance.url('/images', {
    limit: 100,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.all ? {} : { tag: OPENSTACK_MANTLE_TAG }),
  });
  while (next) {
    const page: { body: { images?: GlanceImage[]; next?: string } } = await glance.request<{
      images?: GlanceImage[];
      next?: string;
    }>('GET', next, { what: 'listing images', dryRunAnswer: { images: [] } });
    out.push(...(page.body.images ?? []));
    // `next` is relative to the service root (/v2/images?marker=...), and the client's base ends in /v2
    next = page.body.next ? glance.url(page.body.next.replace(/^\/v2(?=\/)/, '')) : undefined;
  }
  return out.filter((i) => !opts.prefix || (i.name ?? '').startsWith(opts.prefix)).map(info);
}

/** The disk formats Glance takes that ore writes; qcow2 is recognized by its magic. */
export const OPENSTACK_DISK_FORMATS = ['qcow2', 'raw', 'vmdk', 'vhd', 'vhdx'] as const;
export type OpenStackDiskFormat = (typeof OPENSTACK_DISK_FORMATS)[number];

/** qcow2 when the file starts with QFI\xfb, else raw. */
export async function detectDiskFormat(file: string): Promise<OpenStackDiskFormat> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return b.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? 'qcow2' : 'raw';
  } finally {
    await fh.close();
  }
}

async function md5Of(file: string): Promise<string> {
  const h = createHash('md5');
  await pipeline(createReadStream(file, { highWaterMark: 4 << 20 }), h);
  return h.digest('hex');
}

export interface CreateOpenStackImageOptions {
  name: string;
  file: string;
  size: number;
  diskFormat: OpenStackDiskFormat;
  visibility?: 'private' | 'shared' | 'community' | 'public';
  logger?: Logger;
  signal?: AbortSignal;
  pollMs?: number;
}

export interface CreateOpenStackImageResult {
  image: OpenStackImageInfo;
  /** false when an active image of that name had the same bytes (md5) and nothing was uploaded */
  uploaded: boolean;
}

/**
 * Create an image from a local file: reuse an active image of that name with the same bytes;
 * delete ore's half-made ones of that name (queued or saving: an interrupted earlier run); refuse
 * an active one with other bytes; else create, upload, wait until active. An upload that fails
 * or is interrupted deletes the image it created: nothing half-made is left behind.
 */
export async function createOpenStackImage(
  glance: RestClient,
  opts: CreateOpenStackImageOptions,
): Promise<CreateOpenStackImageResult> {
  const same = await listOpenStackImages(glance, { all: true, name: opts.name });
  const active = same.filter((i) => i.status === 'active');
  if (active.length > 0) {
    const md5 = await md5Of(opts.file);
    const match = active.find((i) => i.checksum === md5 && i.size === opts.size);
    if (match) {
      opts.logger?.info(`image ${opts.name} (${match.id}) has these bytes already: reusing it`);
      return { image: match, uploaded: false };
    }
    throw new InputError({
      code: 'OPENSTACK_IMAGE_EXISTS',
      message: `--name ${JSON.stringify(opts.name)}: image ${active[0]!.id} of that name has other contents`,
      hint: `pick another name, or delete it first: ore openstack delete-image --id ${active[0]!.id}`,
      details: { flag: '--name', value: opts.name, id: active[0]!.id },
    });
  }
  const created = await createRecord(glance, same, opts, {});
  const id = created.id;
  try {
    opts.logger?.info(`uploading ${opts.file} to image ${opts.name} (${id}, ${opts.diskFormat})`);
    await glance.request('PUT', `/images/${id}/file`, {
      what: `uploading ${opts.file}`,
      body: () => createReadStream(opts.file, { highWaterMark: 4 << 20 }),
      contentType: 'application/octet-stream',
      retry: 'throttling',
    });
    if (glance.options.dryRun) return { image: info(created), uploaded: true };
    const image = await waitActive(glance, id, opts.name, opts);
    return { image: info(image), uploaded: true };
  } catch (err) {
    opts.logger?.info(`deleting the unfinished image ${id}`);
    await deleteOpenStackImage(glance, id, { ignoreAbort: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Delete ore's half-made images of the name (queued, saving, importing: an interrupted earlier
 * run), then create the image record (tag mantle, plus `extra` properties).
 */
async function createRecord(
  glance: RestClient,
  same: OpenStackImageInfo[],
  opts: Pick<CreateOpenStackImageOptions, 'name' | 'diskFormat' | 'visibility' | 'logger'>,
  extra: Record<string, string>,
): Promise<GlanceImage> {
  for (const stale of same.filter((i) => i.tags.includes(OPENSTACK_MANTLE_TAG) && i.status !== 'active')) {
    opts.logger?.info(`deleting ${stale.status} image ${stale.id} of an earlier run`);
    await deleteOpenStackImage(glance, stale.id);
  }
  const created = await glance
    .request<GlanceImage>('POST', '/images', {
      what: `creating image ${opts.name}`,
      json: {
        name: opts.name,
        container_format: 'bare',
        disk_format: opts.diskFormat,
        visibility: opts.visibility ?? 'private',
        tags: [OPENSTACK_MANTLE_TAG],
        ...extra,
      },
      dryRunAnswer: {
        id: '00000000-0000-0000-0000-000000000000',
        name: opts.name,
        status: 'queued',
        created_at: new Date(0).toISOString(),
      },
      retry: 'throttling',
    })
    .catch((err: unknown) => {
      throw refusedValue(err, '--name', opts.name, 'use at most 255 characters, no control characters');
    });
  return created.body;
}

/** Poll an image until `active`; killed, deleted or a failed import is an OperationError. */
async function waitActive(
  glance: RestClient,
  id: string,
  name: string,
  opts: { pollMs?: number; signal?: AbortSignal },
): Promise<GlanceImage> {
  return pollUntil(
    async () => {
      const r = await glance.request<GlanceImage>('GET', `/images/${id}`, { what: `getting image ${id}` });
      const failedImport = r.body.os_glance_failed_import;
      if (r.body.status === 'killed' || r.body.status === 'deleted' || failedImport)
        throw new OperationError({
          code: 'OPENSTACK_IMAGE_FAILED',
          message: `Glance could not store image ${name} (${id}): ${failedImport ? `the ${failedImport} import failed` : r.body.status}`,
          hint: failedImport
            ? 'check that the cloud can reach the URL (and that it serves the image), then rerun'
            : 'check the image store of the cloud (quota, backend), then rerun',
          details: { id, status: r.body.status },
        });
      return r.body.status === 'active' ? r.body : undefined;
    },
    {
      what: `image ${name} to become active`,
      initialMs: opts.pollMs ?? 2000,
      maxMs: 30_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
}

export interface CreateOpenStackImageFromUrlOptions extends Omit<
  CreateOpenStackImageOptions,
  'file' | 'size'
> {
  /** an http(s) URL of the image */
  url: string;
}

/** The import methods the cloud's Glance offers (GET /v2/info/import; none when it has no import API). */
export async function glanceImportMethods(glance: RestClient): Promise<string[]> {
  try {
    const r = await glance.request<{ 'import-methods'?: { value?: string[] } }>('GET', '/info/import', {
      what: 'reading the import methods',
      dryRunAnswer: { 'import-methods': { value: ['web-download'] } },
    });
    return r.body['import-methods']?.value ?? [];
  } catch (err) {
    if ((err as { status?: number }).status === 404) return [];
    throw err;
  }
}

/**
 * Create an image from an http(s) URL with Glance's interoperable import (`web-download`: the
 * cloud fetches the URL itself). An active image of the name made from the same URL is reused;
 * one from elsewhere is refused. A cloud without web-download is for the caller (download, verify,
 * upload the file). A failed or interrupted import deletes the image it created.
 */
export async function createOpenStackImageFromUrl(
  glance: RestClient,
  opts: CreateOpenStackImageFromUrlOptions,
): Promise<CreateOpenStackImageResult> {
  const same = await listOpenStackImages(glance, { all: true, name: opts.name });
  const active = same.filter((i) => i.status === 'active');
  if (active.length > 0) {
    const raw = await glance.request<GlanceImage>('GET', `/images/${active[0]!.id}`, {
      what: 'getting the image',
    });
    if (raw.body.mantle_source === opts.url) {
      opts.logger?.info(`image ${opts.name} (${active[0]!.id}) was made from ${opts.url}: reusing it`);
      return { image: active[0]!, uploaded: false };
    }
    throw new InputError({
      code: 'OPENSTACK_IMAGE_EXISTS',
      message: `--name ${JSON.stringify(opts.name)}: image ${active[0]!.id} of that name was not made from ${opts.url}`,
      hint: `pick another name, or delete it first: ore openstack delete-image --id ${active[0]!.id}`,
      details: { flag: '--name', value: opts.name, id: active[0]!.id },
    });
  }
  const created = await createRecord(glance, same, opts, { mantle_source: opts.url });
  const id = created.id;
  try {
    opts.logger?.info(`importing ${opts.url} into image ${opts.name} (${id}, web-download)`);
    await glance.request('POST', `/images/${id}/import`, {
      what: `starting the web-download import of ${opts.url}`,
      json: { method: { name: 'web-download', uri: opts.url } },
      retry: 'throttling',
    });
    if (glance.options.dryRun) return { image: info(created), uploaded: true };
    return { image: info(await waitActive(glance, id, opts.name, opts)), uploaded: true };
  } catch (err) {
    opts.logger?.info(`deleting the unfinished image ${id}`);
    await deleteOpenStackImage(glance, id, { ignoreAbort: true }).catch(() => undefined);
    throw err;
  }
}

/** Delete an image by id (DELETE /v2/images/{id}); false when there was none. */
export async function deleteOpenStackImage(
  glance: RestClient,
  id: string,
  opts: { ignoreAbort?: boolean } = {},
): Promise<boolean> {
  try {
    await glance.request('DELETE', `/images/${id}`, {
      what: `deleting image ${id}`,
      ...(opts.ignoreAbort ? { ignoreAbort: true } : {}),
    });
    return true;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return false;
    throw err;
  }
}
