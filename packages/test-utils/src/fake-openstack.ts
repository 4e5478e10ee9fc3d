// A local test server speaking the documented OpenStack APIs for the part ore drives: Identity v3
// (Keystone: POST /identity/v3/auth/tokens with password auth scoped to a project, the token in
// X-Subject-Token, the service catalog with the image and compute endpoints per region), Image v2
// (Glance: POST/GET/DELETE /image/v2/images[/{id}], PUT /image/v2/images/{id}/file with the
// queued → saving → active states and md5 checksums, listings by name and tag paged through
// `next`) and Compute v2.1 (Nova: GET /compute/v2.1/servers/detail, DELETE
// /compute/v2.1/servers/{id}). It is a fake of the protocols, not OpenStack: no DevStack here. It
// KEEPS STATE, checks X-Auth-Token on every call, counts calls per operation and can throttle
// them (413/429 + Retry-After), and can hold uploads (to interrupt a client mid-upload).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallLog, listenOn, readJson, sendJson } from './http-fake.js';

export interface FakeGlanceImage {
  id: string;
  name: string | null;
  status: 'queued' | 'saving' | 'importing' | 'active' | 'killed' | 'deleted';
  disk_format: string | null;
  container_format: string | null;
  visibility: string;
  tags: string[];
  size: number | null;
  checksum: string | null;
  created_at: string;
  updated_at: string;
  /** the uploaded bytes */
  data?: Buffer;
  /** the import methods that failed (web-download of a bad URI) */
  os_glance_failed_import?: string;
  /** extra properties given at creation (mantle_source) */
  [property: string]: unknown;
}

export interface FakeNovaServer {
  id: string;
  name: string;
  status: string;
  created: string;
  metadata: Record<string, string>;
}

export interface FakeOpenStackOptions {
  /** the one user: name, password, domain (default Default), project name and id */
  user: { name: string; password: string; domain?: string; project: string; projectId?: string };
  /** regions of the catalog (default RegionOne) */
  regions?: string[];
  /** GETs an uploaded image stays `saving` (default 1) */
  savingPolls?: number;
  /** images per page (default 2) */
  pageSize?: number;
  /** what GET /image/v2/info/import offers (default glance-direct and web-download) */
  importMethods?: string[];
}

export interface FakeOpenStack {
  /** http://127.0.0.1:PORT/identity/v3: the profile's auth_url */
  authUrl: string;
  images: Map<string, FakeGlanceImage>;
  servers: Map<string, FakeNovaServer>;
  calls: CallLog;
  /** while true, uploads wait (unread) until the client goes away or it turns false */
  holdUploads: boolean;
  /** files served at GET /files/NAME (web-download sources), by NAME */
  files: Map<string, Buffer>;
  /** what GET /image/v2/info/import offers (settable: a cloud without web-download) */
  importMethods: string[];
  addServer(s: Omit<FakeNovaServer, 'id'>): FakeNovaServer;
  close(): Promise<void>;
}

const DISK_FORMATS = new Set([
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
]);

function fail(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const title = {
    400: 'Bad Request',
    401: 'Unauthorized',
    404: 'Not Found',
    409: 'Conflict',
    429: 'Too Many Requests',
  }[status];
  sendJson(res, status, { error: { code: status, title: title ?? 'Error', message } }, headers);
}

/** Start the fake Keystone + Glance + Nova on a free port of 127.0.0.1. */
export async function startFakeOpenStack(opts: FakeOpenStackOptions): Promise<FakeOpenStack> {
  const images = new Map<string, FakeGlanceImage>();
  const servers = new Map<string, FakeNovaServer>();
  const calls = new CallLog();
  const tokens = new Set<string>();
  const regions = opts.regions ?? ['RegionOne'];
  const savingLeft = new Map<string, number>();
  const files = new Map<string, Buffer>();
  const pageSize = opts.pageSize ?? 2;
  const projectId = opts.user.projectId ?? randomBytes(16).toString('hex');
  let endpoint = '';
  const state = {
    holdUploads: false,
    importMethods: opts.importMethods ?? ['glance-direct', 'web-download'],
  };

  const view = (i: FakeGlanceImage): Omit<FakeGlanceImage, 'data'> => {
    const { data: _d, ...rest } = i;
    return { ...rest, self: `/v2/images/${i.id}`, file: `/v2/images/${i.id}/file` };
  };

  async function keystone(req: IncomingMessage, res: ServerResponse): Promise<void> {
    type Scope = { project?: { id?: string; name?: string; domain?: { name?: string } } };
    const b = await readJson<{
      auth?: {
        identity?: {
          methods?: string[];
          password?: { user?: { name?: string; password?: string; domain?: { name?: string } } };
        };
        scope?: Scope;
      };
    }>(req);
    const u = b.auth?.identity?.password?.user;
    const domain = opts.user.domain ?? 'Default';
    if (
      !b.auth?.identity?.methods?.includes('password') ||
      u?.name !== opts.user.name ||
      u.password !== opts.user.password ||
      u.domain?.name !== domain
    )
      return fail(res, 401, 'The request you have made requires authentication.');
    const p = b.auth.scope?.project;
    if (!p || !(p.id === projectId || (p.name === opts.user.project && p.domain?.name === domain)))
      return fail(res, 401, 'User has no access to project');
    const token = randomBytes(16).toString('hex');
    tokens.add(token);
    const catalog = [
      {
        type: 'image',
        name: 'glance',
        endpoints: regions.map((r) => ({
          interface: 'public',
          region: r,
          region_id: r,
          url: `${endpoint}/image`,
        })),
      },
      {
        type: 'compute',
        name: 'nova',
        endpoints: regions.map((r) => ({
          interface: 'public',
          region: r,
          region_id: r,
          url: `${endpoint}/compute/v2.1/${projectId}`,
        })),
      },
    ];
    sendJson(
      res,
      201,
      {
        token: { methods: ['password'], expires_at: new Date(Date.now() + 3600_000).toISOString(), catalog },
      },
      { 'x-subject-token': token },
    );
  }

  async function glance(seg: string[], url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    if (seg.length === 0) {
      if (method === 'GET') {
        const name = url.searchParams.get('name');
        const tag = url.searchParams.get('tag');
        const all = [...images.values()]
          .filter((i) => i.status !== 'deleted')
          .filter((i) => name === null || i.name === name)
          .filter((i) => tag === null || i.tags.includes(tag));
        const marker = url.searchParams.get('marker');
        const start = marker ? all.findIndex((i) => i.id === marker) + 1 : 0;
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 25), pageSize);
        const page = all.slice(start, start + limit);
        const body: Record<string, unknown> = {
          images: page.map(view),
          first: '/v2/images',
          schema: '/v2/schemas/images',
        };
        if (start + limit < all.length) {
          const next = new URLSearchParams(url.searchParams);
          next.set('marker', page[page.length - 1]!.id);
          body.next = `/v2/images?${next.toString()}`;
        }
        return sendJson(res, 200, body);
      }
      if (method === 'POST') {
        const b = await readJson<{
          name?: string;
          disk_format?: string;
          container_format?: string;
          visibility?: string;
          tags?: string[];
          mantle_source?: string;
        }>(req);
        if (b.name !== undefined && b.name.length > 255)
          return fail(
            res,
            400,
            'Invalid input for field/attribute name. Value is longer than 255 characters',
          );
        if (b.disk_format !== undefined && !DISK_FORMATS.has(b.disk_format))
          return fail(res, 400, `Invalid value '${b.disk_format}' for parameter 'disk_format'`);
        const now = new Date().toISOString();
        const img: FakeGlanceImage = {
          id: randomUUID(),
          name: b.name ?? null,
          status: 'queued',
          disk_format: b.disk_format ?? null,
          container_format: b.container_format ?? null,
          visibility: b.visibility ?? 'shared',
          tags: b.tags ?? [],
          size: null,
          checksum: null,
          created_at: now,
          updated_at: now,
          ...(b.mantle_source !== undefined ? { mantle_source: b.mantle_source } : {}),
        };
        images.set(img.id, img);
        return sendJson(res, 201, view(img));
      }
    }
    const img = images.get(seg[0]!);
    if (!img) return fail(res, 404, `No image found with ID ${seg[0]}`);
    if (seg[1] === 'import' && method === 'POST') {
      // Interoperable image import (web-download): Glance fetches the URI itself, then the image
      // goes importing -> active (or back to queued with os_glance_failed_import on a bad URI).
      const b = await readJson<{ method?: { name?: string; uri?: string } }>(req);
      const offered = state.importMethods;
      if (b.method?.name !== 'web-download' || !offered.includes('web-download'))
        return fail(res, 400, `Import method ${b.method?.name} is not allowed`);
      if (img.status !== 'queued') return fail(res, 409, `Image status ${img.status} is not queued`);
      img.status = 'importing';
      sendJson(res, 202, {});
      try {
        const got = await fetch(b.method.uri ?? '');
        if (!got.ok) throw new Error(`HTTP ${got.status}`);
        const data = Buffer.from(await got.arrayBuffer());
        img.data = data;
        img.size = data.length;
        img.checksum = createHash('md5').update(data).digest('hex');
        img.status = 'active';
      } catch {
        img.status = 'queued';
        img.os_glance_failed_import = 'web-download';
      }
      return;
    }
    if (seg[1] === 'file' && method === 'PUT') {
      if (img.status !== 'queued')
        return fail(res, 409, `Image status transition from ${img.status} to saving is not allowed`);
      img.status = 'saving';
      while (state.holdUploads && !req.destroyed) await new Promise((r) => setTimeout(r, 20));
      const parts: Buffer[] = [];
      try {
        for await (const c of req) parts.push(c as Buffer);
      } catch {
        img.status = 'queued';
        return;
      }
      if (req.destroyed && !req.complete) {
        img.status = 'queued';
        return;
      }
      const data = Buffer.concat(parts);
      img.data = data;
      img.size = data.length;
      img.checksum = createHash('md5').update(data).digest('hex');
      savingLeft.set(img.id, opts.savingPolls ?? 1);
      return sendJson(res, 204);
    }
    if (seg.length === 1 && method === 'GET') {
      const left = savingLeft.get(img.id);
      if (img.status === 'saving' && left !== undefined) {
        if (left <= 0) img.status = 'active';
        else savingLeft.set(img.id, left - 1);
      }
      return sendJson(res, 200, view(img));
    }
    if (seg.length === 1 && method === 'DELETE') {
      images.delete(img.id);
      return sendJson(res, 204);
    }
    return fail(res, 404, `no route ${method} ${url.pathname}`);
  }

  function nova(seg: string[], req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    if (seg[0] === 'servers' && seg[1] === 'detail' && method === 'GET')
      return sendJson(res, 200, { servers: [...servers.values()] });
    const s = seg[0] === 'servers' ? servers.get(seg[1] ?? '') : undefined;
    if (!s)
      return sendJson(res, 404, { itemNotFound: { code: 404, message: 'Instance could not be found.' } });
    if (method === 'DELETE') {
      servers.delete(s.id);
      return sendJson(res, 204);
    }
    return sendJson(res, 404, { itemNotFound: { code: 404, message: 'no route' } });
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', endpoint);
    const method = (req.method ?? 'GET').toLowerCase();
    const p = url.pathname;
    if (p === '/identity/v3/auth/tokens' && method === 'post') {
      if (calls.count('tokens.create')) return fail(res, 429, 'Too many requests', { 'retry-after': '0' });
      return keystone(req, res);
    }
    if (p.startsWith('/files/') && method === 'get') {
      const f = files.get(decodeURIComponent(p.slice('/files/'.length)));
      if (!f) return fail(res, 404, 'no such file');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(f.length) });
      return void res.end(f);
    }
    const token = req.headers['x-auth-token'];
    if (p === '/image/v2/info/import' && method === 'get') {
      calls.count('info.import');
      if (typeof token !== 'string' || !tokens.has(token)) return fail(res, 401, 'Authentication required');
      const offered = state.importMethods;
      return sendJson(res, 200, {
        'import-methods': { description: 'Import methods', type: 'array', value: offered },
      });
    }
    if (p.startsWith('/image/v2/images')) {
      const seg = p.slice('/image/v2/images'.length).split('/').filter(Boolean);
      const op = `images.${seg[1] === 'file' ? 'upload' : seg.length === 0 ? (method === 'get' ? 'list' : 'create') : method}`;
      if (calls.count(op)) return fail(res, 429, 'Too many requests', { 'retry-after': '0' });
      if (typeof token !== 'string' || !tokens.has(token)) return fail(res, 401, 'Authentication required');
      return glance(seg, url, req, res);
    }
    const compute = `/compute/v2.1/${projectId}/`;
    if (p.startsWith(compute)) {
      const seg = p.slice(compute.length).split('/').filter(Boolean);
      if (calls.count(`servers.${method}`))
        return fail(res, 429, 'Too many requests', { 'retry-after': '0' });
      if (typeof token !== 'string' || !tokens.has(token)) return fail(res, 401, 'Authentication required');
      return nova(seg, req, res);
    }
    return fail(res, 404, `no route ${method} ${p}`);
  };

  const l = await listenOn(handler);
  endpoint = l.endpoint;
  return {
    authUrl: `${endpoint}/identity/v3`,
    files,
    images,
    servers,
    calls,
    get holdUploads() {
      return state.holdUploads;
    },
    set holdUploads(v: boolean) {
      state.holdUploads = v;
    },
    get importMethods() {
      return state.importMethods;
    },
    set importMethods(v: string[]) {
      state.importMethods = v;
    },
    addServer(s) {
      const full = { ...s, id: randomUUID() };
      servers.set(full.id, full);
      return full;
    },
    close: () => l.close(),
  };
}
