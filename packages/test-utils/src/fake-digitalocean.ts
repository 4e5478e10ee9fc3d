// A local test server speaking the documented DigitalOcean API v2 for the part ore drives:
// custom images (POST /v2/images from a URL the server really downloads, GET/DELETE
// /v2/images/{id}, GET /v2/images?private=true&tag_name=), image transfer actions
// (POST /v2/images/{id}/actions, polled at GET /v2/actions/{id}), droplets (GET ?tag_name=, DELETE),
// regions (GET /v2/regions), bearer-token authentication, listings paged through
// links.pages.next, errors as {"id", "message"} (401 unauthorized, 404 not_found,
// 422 unprocessable_entity, 429 too_many_requests with Retry-After). It is a fake of the
// protocol, not DigitalOcean: there is no emulator. It KEEPS STATE, so reruns see what earlier
// runs made; an import stays NEW for a few polls, then becomes available (or fails with
// error_message when the URL cannot be downloaded). Calls are counted per operation and can be
// throttled. It also serves files at /files/NAME for the imports to download.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallLog, listenOn, readJson, sendJson } from './http-fake.js';

export interface FakeDoImage {
  id: number;
  name: string;
  status: 'NEW' | 'pending' | 'available' | 'deleted';
  url: string;
  regions: string[];
  created_at: string;
  tags: string[];
  distribution: string;
  description: string;
  error_message: string;
  size_gigabytes: number;
  /** bytes downloaded from the url */
  bytes: number;
  /** polls left until the import lands */
  pollsLeft: number;
  type: 'custom';
  public: false;
}

export interface FakeDoDroplet {
  id: number;
  name: string;
  status: string;
  created_at: string;
  tags: string[];
}

export interface FakeDoOptions {
  /** valid bearer tokens */
  tokens: string[];
  /** region slugs (default nyc3, sfo3, ams3 available; nyc2 unavailable) */
  regions?: { slug: string; name: string; available: boolean }[];
  /** polls an import stays NEW (default 1) */
  importPolls?: number;
  /** items per page (default 2: listings page) */
  pageSize?: number;
}

export interface FakeDo {
  /** http://127.0.0.1:PORT (DIGITALOCEAN_API_URL) */
  endpoint: string;
  images: Map<number, FakeDoImage>;
  droplets: Map<number, FakeDoDroplet>;
  /** files served at /files/NAME */
  files: Map<string, Buffer>;
  calls: CallLog;
  /** add a droplet as if kola had made it */
  addDroplet(d: Omit<FakeDoDroplet, 'id'>): FakeDoDroplet;
  close(): Promise<void>;
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9 ._()-]{0,253}[A-Za-z0-9._()-])?$/;
const DISTRIBUTIONS = new Set([
  'Arch Linux',
  'CentOS',
  'CoreOS',
  'Debian',
  'Fedora',
  'Fedora Atomic',
  'FreeBSD',
  'Gentoo',
  'openSUSE',
  'RancherOS',
  'Rocky Linux',
  'Ubuntu',
  'Unknown',
]);

function fail(
  res: ServerResponse,
  status: number,
  id: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { id, message, request_id: 'fake' }, headers);
}

/** Start the fake API on a free port of 127.0.0.1. */
export async function startFakeDigitalOcean(opts: FakeDoOptions): Promise<FakeDo> {
  const images = new Map<number, FakeDoImage>();
  const droplets = new Map<number, FakeDoDroplet>();
  const files = new Map<string, Buffer>();
  const actions = new Map<
    number,
    { id: number; status: string; type: string; pollsLeft: number; image: FakeDoImage; region: string }
  >();
  const calls = new CallLog();
  const regions = opts.regions ?? [
    { slug: 'nyc3', name: 'New York 3', available: true },
    { slug: 'sfo3', name: 'San Francisco 3', available: true },
    { slug: 'ams3', name: 'Amsterdam 3', available: true },
    { slug: 'nyc2', name: 'New York 2', available: false },
  ];
  const pageSize = opts.pageSize ?? 2;
  let nextId = 1000;
  let endpoint = '';

  function page<T>(res: ServerResponse, url: URL, key: string, all: T[]): void {
    const per = Math.min(Number(url.searchParams.get('per_page') ?? 20), pageSize);
    const p = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const items = all.slice((p - 1) * per, p * per);
    const links: { pages?: { next?: string } } = {};
    if (p * per < all.length) {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(p + 1));
      links.pages = { next: next.toString() };
    }
    sendJson(res, 200, { [key]: items, links, meta: { total: all.length } });
  }

  async function importImage(img: FakeDoImage): Promise<void> {
    try {
      const r = await fetch(img.url);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      img.bytes = (await r.arrayBuffer()).byteLength;
      img.size_gigabytes = Math.max(0.01, img.bytes / 2 ** 30);
    } catch (err) {
      img.error_message = `Failed to download ${img.url}: ${(err as Error).message}`;
    }
  }

  function view(img: FakeDoImage): Record<string, unknown> {
    const { url: _u, bytes: _b, pollsLeft: _p, ...rest } = img;
    return rest;
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', endpoint);
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/files/')) {
      const f = files.get(decodeURIComponent(url.pathname.slice('/files/'.length)));
      if (!f) return fail(res, 404, 'not_found', 'no such file');
      res.writeHead(200, { 'content-length': String(f.length) });
      res.end(f);
      return;
    }
    const seg = url.pathname
      .replace(/^\/v2\/?/, '')
      .split('/')
      .filter(Boolean);
    const op = `${seg[0] ?? ''}.${method.toLowerCase()}${seg[1] ? '1' : ''}`;
    if (calls.count(op))
      return fail(res, 429, 'too_many_requests', 'API Rate limit exceeded.', { 'retry-after': '0' });
    const auth = req.headers.authorization ?? '';
    if (!opts.tokens.some((t) => auth === `Bearer ${t}`))
      return fail(res, 401, 'unauthorized', 'Unable to authenticate you.');

    if (seg[0] === 'regions' && method === 'GET')
      return page(
        res,
        url,
        'regions',
        regions.map((r) => ({ ...r, sizes: [], features: [] })),
      );

    if (seg[0] === 'images') {
      if (method === 'GET' && !seg[1]) {
        const tag = url.searchParams.get('tag_name');
        const all = [...images.values()]
          .filter((i) => i.status !== 'deleted')
          .filter((i) => !tag || i.tags.includes(tag));
        return page(res, url, 'images', all.map(view));
      }
      if (method === 'POST' && !seg[1]) {
        const b = await readJson<{
          name?: string;
          url?: string;
          region?: string;
          distribution?: string;
          description?: string;
          tags?: unknown;
        }>(req);
        const name = String(b.name ?? '');
        if (!NAME_RE.test(name)) return fail(res, 422, 'unprocessable_entity', `name is invalid`);
        if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url))
          return fail(res, 422, 'unprocessable_entity', 'url is invalid');
        if (!regions.some((r) => r.slug === b.region && r.available))
          return fail(res, 422, 'unprocessable_entity', 'region is invalid');
        if (b.distribution !== undefined && !DISTRIBUTIONS.has(String(b.distribution)))
          return fail(res, 422, 'unprocessable_entity', 'distribution is not a supported distribution');
        const img: FakeDoImage = {
          id: nextId++,
          name,
          status: 'NEW',
          url: b.url,
          regions: [],
          created_at: new Date().toISOString(),
          tags: Array.isArray(b.tags) ? b.tags.map(String) : [],
          distribution: String(b.distribution ?? 'Unknown'),
          description: String(b.description ?? ''),
          error_message: '',
          size_gigabytes: 0,
          bytes: 0,
          pollsLeft: opts.importPolls ?? 1,
          type: 'custom',
          public: false,
        };
        images.set(img.id, img);
        const region = String(b.region);
        void importImage(img).then(() => {
          if (!img.error_message) img.regions = [region];
        });
        return sendJson(res, 202, { image: view(img) });
      }
      const img = images.get(Number(seg[1]));
      if (!img || img.status === 'deleted')
        return fail(res, 404, 'not_found', 'The resource you were accessing could not be found.');
      if (seg[2] === 'actions' && method === 'POST') {
        const b = await readJson<{ type?: string; region?: string }>(req);
        if (b.type !== 'transfer') return fail(res, 422, 'unprocessable_entity', 'type is invalid');
        const region = regions.find((r) => r.slug === b.region && r.available);
        if (!region) return fail(res, 422, 'unprocessable_entity', 'region is invalid');
        if (img.status !== 'available')
          return fail(res, 422, 'unprocessable_entity', 'image is not available');
        const action = {
          id: nextId++,
          status: 'in-progress',
          type: 'transfer',
          pollsLeft: 1,
          image: img,
          region: region.slug,
        };
        actions.set(action.id, action);
        return sendJson(res, 201, { action: { id: action.id, status: action.status, type: action.type } });
      }
      if (method === 'GET') {
        if (img.status === 'NEW' && !img.error_message && img.pollsLeft-- <= 0 && img.bytes > 0)
          img.status = 'available';
        return sendJson(res, 200, { image: view(img) });
      }
      if (method === 'DELETE') {
        img.status = 'deleted';
        images.delete(img.id);
        return sendJson(res, 204);
      }
    }

    if (seg[0] === 'actions' && method === 'GET') {
      const a = actions.get(Number(seg[1]));
      if (!a) return fail(res, 404, 'not_found', 'The resource you were accessing could not be found.');
      if (a.status === 'in-progress' && a.pollsLeft-- <= 0) {
        a.status = 'completed';
        if (!a.image.regions.includes(a.region)) a.image.regions.push(a.region);
      }
      return sendJson(res, 200, {
        action: { id: a.id, status: a.status, type: a.type, region_slug: a.region },
      });
    }

    if (seg[0] === 'droplets') {
      if (method === 'GET' && !seg[1]) {
        const tag = url.searchParams.get('tag_name');
        return page(
          res,
          url,
          'droplets',
          [...droplets.values()].filter((d) => !tag || d.tags.includes(tag)),
        );
      }
      const d = droplets.get(Number(seg[1]));
      if (!d) return fail(res, 404, 'not_found', 'The resource you were accessing could not be found.');
      if (method === 'DELETE') {
        droplets.delete(d.id);
        return sendJson(res, 204);
      }
    }
    return fail(res, 404, 'not_found', `no route ${method} ${url.pathname}`);
  };

  const l = await listenOn(handler);
  endpoint = l.endpoint;
  return {
    endpoint,
    images,
    droplets,
    files,
    calls,
    addDroplet(d) {
      const full = { ...d, id: nextId++ };
      droplets.set(full.id, full);
      return full;
    },
    close: () => l.close(),
  };
}
