import { InputError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { refusedValue, type RestClient } from '../cloud/rest-client.js';
import { pollUntil } from '../cloud/wait.js';
import { DO_MANTLE_TAG, doListAll } from './client.js';

/** A custom image as the API returns it (the fields ore reads). */
interface DoImage {
  id: number;
  name: string;
  status: string;
  regions: string[];
  created_at: string;
  tags?: string[];
  size_gigabytes?: number;
  distribution?: string;
  error_message?: string;
}

/** What `ore do list-images` prints per image and `create-image` returns. */
export interface DoImageInfo {
  id: number;
  name: string;
  status: string;
  regions: string[];
  created: string;
  tags: string[];
  sizeGigabytes?: number;
}

function info(i: DoImage): DoImageInfo {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    regions: i.regions ?? [],
    created: i.created_at,
    tags: i.tags ?? [],
    ...(i.size_gigabytes !== undefined ? { sizeGigabytes: i.size_gigabytes } : {}),
  };
}

/** Statuses of an image that is gone or going: never reused. */
const GONE = new Set(['deleted', 'retired']);

/** The account's own (private) images, optionally only those ore made. */
export async function listDoImages(
  api: RestClient,
  opts: { all?: boolean; prefix?: string } = {},
): Promise<DoImageInfo[]> {
  const images = await doListAll<DoImage>(
    api,
    '/images',
    'images',
    { private: 'true', ...(opts.all ? {} : { tag_name: DO_MANTLE_TAG }) },
    'listing images',
  );
  return images
    .filter((i) => !GONE.has(i.status))
    .filter((i) => !opts.prefix || i.name.startsWith(opts.prefix))
    .map(info);
}

export interface CreateDoImageOptions {
  name: string;
  /** where DigitalOcean downloads the image from (http/https; raw, qcow2, vhdi, vdi, vmdk, gzip'd or bzip2'd) */
  url: string;
  region: string;
  /** the distribution DigitalOcean shows (one of its list) */
  distribution: string;
  description?: string;
  tags?: string[];
  /** more regions to make it available in (image `transfer` actions) */
  copyTo?: string[];
  logger?: Logger;
  /** first poll wait (ms; default 10 s) */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface CreateDoImageResult {
  image: DoImageInfo;
  /** true when an image of that name existed and nothing was created */
  reused: boolean;
}

/**
 * Create a custom image from a URL (POST /v2/images) and wait until DigitalOcean has imported it
 * (status `available`). An image of that name that exists already (importing or available) is
 * waited for and returned instead: reruns create no duplicate.
 */
export async function createDoImage(
  api: RestClient,
  opts: CreateDoImageOptions,
): Promise<CreateDoImageResult> {
  const existing = (await listDoImages(api, { all: true })).find((i) => i.name === opts.name);
  let id: number;
  let reused = false;
  if (existing) {
    opts.logger?.info(`image ${opts.name} exists (id ${existing.id}, ${existing.status}): reusing it`);
    id = existing.id;
    reused = true;
  } else {
    const tags = [DO_MANTLE_TAG, ...(opts.tags ?? []).filter((t) => t !== DO_MANTLE_TAG)];
    const created = await api
      .request<{ image: DoImage }>('POST', '/images', {
        what: `creating image ${opts.name}`,
        json: {
          name: opts.name,
          url: opts.url,
          region: opts.region,
          distribution: opts.distribution,
          ...(opts.description ? { description: opts.description } : {}),
          tags,
        },
        dryRunAnswer: {
          image: {
            id: 0,
            name: opts.name,
            status: 'NEW',
            regions: [],
            created_at: new Date(0).toISOString(),
            tags,
          },
        },
        // a POST that may have landed is not resent: a rerun finds the image by name instead
        retry: 'throttling',
      })
      .catch((err: unknown) => {
        const m = (err as { serviceMessage?: string }).serviceMessage ?? '';
        if (/url/i.test(m))
          throw refusedValue(err, '--url', opts.url, 'give an http(s) URL DigitalOcean can download');
        if (/distribution/i.test(m))
          throw refusedValue(
            err,
            '--distribution',
            opts.distribution,
            'use one of DigitalOcean\'s distributions, e.g. "CoreOS" or "Unknown"',
          );
        throw refusedValue(err, '--name', opts.name, 'use letters, digits, spaces and . _ ( ) -');
      });
    id = created.body.image.id;
    opts.logger?.info(`importing image ${opts.name} (id ${id}) from ${opts.url}`);
    if (api.options.dryRun) return { image: info(created.body.image), reused: false };
  }
  const image = await pollUntil(
    async () => {
      const r = await api.request<{ image: DoImage }>('GET', `/images/${id}`, {
        what: `getting image ${id}`,
      });
      const i = r.body.image;
      if (i.error_message || GONE.has(i.status)) {
        // a failed import is removed: a rerun (after fixing the URL) starts afresh
        await deleteDoImageById(api, id, opts.logger ? { logger: opts.logger } : {});
        throw new OperationError({
          code: 'DO_IMAGE_IMPORT_FAILED',
          message: `DigitalOcean could not import image ${opts.name} (id ${id}, ${i.status}): ${i.error_message || 'no reason given'}`,
          hint: `check that ${opts.url} is downloadable by DigitalOcean and a supported format (raw, qcow2, vhd, vmdk; gzip or bzip2), then rerun`,
          details: { id, status: i.status },
        });
      }
      return i.status === 'available' ? i : undefined;
    },
    {
      what: `image ${opts.name} to become available`,
      initialMs: opts.pollMs ?? 10_000,
      maxMs: 60_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
  let regions = image.regions ?? [];
  for (const region of (opts.copyTo ?? []).filter((r) => !regions.includes(r))) {
    await transferDoImage(api, id, region, opts);
    regions = [...regions, region];
  }
  return { image: { ...info(image), regions }, reused };
}

interface DoAction {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: string;
}

/** Make an image available in another region: a `transfer` action, polled at /v2/actions/{id}. */
export async function transferDoImage(
  api: RestClient,
  id: number,
  region: string,
  opts: { logger?: Logger; pollMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const started = await api.request<{ action: DoAction }>('POST', `/images/${id}/actions`, {
    what: `transferring image ${id} to ${region}`,
    json: { type: 'transfer', region },
    dryRunAnswer: { action: { id: 0, status: 'completed', type: 'transfer' } },
    retry: 'throttling',
  });
  opts.logger?.info(`transferring image ${id} to ${region} (action ${started.body.action.id})`);
  if (api.options.dryRun) return;
  await pollUntil(
    async () => {
      const r = await api.request<{ action: DoAction }>('GET', `/actions/${started.body.action.id}`, {
        what: `getting action ${started.body.action.id}`,
      });
      if (r.body.action.status === 'errored')
        throw new OperationError({
          code: 'DO_ACTION_FAILED',
          message: `DigitalOcean could not transfer image ${id} to ${region} (action ${r.body.action.id} errored)`,
          hint: 'rerun: regions the image is in already are skipped',
          details: { id, region, action: r.body.action.id },
        });
      return r.body.action.status === 'completed' ? true : undefined;
    },
    {
      what: `the transfer of image ${id} to ${region}`,
      initialMs: opts.pollMs ?? 10_000,
      maxMs: 60_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
}

/** Delete images by name (DELETE /v2/images/{id}); names with no image are reported as missing. */
export async function deleteDoImages(
  api: RestClient,
  names: string[],
  opts: { logger?: Logger } = {},
): Promise<{ deleted: string[]; missing: string[] }> {
  const images = await listDoImages(api, { all: true });
  const out = { deleted: [] as string[], missing: [] as string[] };
  for (const name of names) {
    const matches = images.filter((i) => i.name === name);
    if (matches.length === 0) {
      out.missing.push(name);
      continue;
    }
    for (const m of matches) await deleteDoImageById(api, m.id, opts);
    out.deleted.push(name);
  }
  return out;
}

/** Delete one image by id; an image already gone counts as deleted. */
export async function deleteDoImageById(
  api: RestClient,
  id: number,
  opts: { logger?: Logger } = {},
): Promise<void> {
  try {
    await api.request('DELETE', `/images/${id}`, { what: `deleting image ${id}` });
    opts.logger?.info(`deleted image ${id}`);
  } catch (err) {
    if ((err as { status?: number }).status !== 404) throw err;
  }
}

/** Refuse a URL DigitalOcean cannot fetch before calling it. */
export function checkDoImageUrl(url: string): string {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (u && (u.protocol === 'http:' || u.protocol === 'https:')) return url;
  throw new InputError({
    code: 'DO_BAD_URL',
    message: `--url ${JSON.stringify(url)} is not an http(s) URL`,
    hint: 'DigitalOcean imports custom images from a URL it downloads; publish the image (e.g. to a bucket) and pass its URL',
    details: { flag: '--url', value: url },
  });
}
