// plume index against a file:// store, s3rver and Azurite; the pages are browsed in headless
// Chromium, every link followed.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type ObjectStore } from '@mantle/ore/storage';
import { crawl } from './helpers/browse.js';
import { serveFiles, type HttpFiles } from './helpers/http-files.js';
import { runPlume } from './helpers/run.js';
import { AZURITE_ACCOUNT, startStores, type Stores } from './helpers/stores.js';

// A release-store shaped tree, with names that need escaping in HTML and in URLs.
const FILES: Record<string, string> = {
  'amd64-usr/4081.2.0/flatcar_production_image.bin.bz2': 'image',
  'amd64-usr/4081.2.0/flatcar_production_image.bin.bz2.sig': 'sig',
  'amd64-usr/4081.2.0/version.txt': 'FLATCAR_VERSION=4081.2.0\n',
  'amd64-usr/current/version.txt': 'FLATCAR_VERSION=4081.2.0\n',
  'arm64-usr/4081.2.0/version.txt': 'FLATCAR_VERSION=4081.2.0\n',
  'arm64-usr/4081.2.0/a b+c&<d>.txt': 'odd name',
  'README.txt': 'hello',
};
const DIRS = [
  '',
  'amd64-usr/',
  'amd64-usr/4081.2.0/',
  'amd64-usr/current/',
  'arm64-usr/',
  'arm64-usr/4081.2.0/',
];

let dir: string;
let stores: Stores;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plume-index-'));
  // anonymous reads, as a public release container has (what the browser needs)
  stores = await startStores({ buckets: ['pub'], containers: ['pub'], publicContainers: true });
}, 120_000);

afterAll(async () => {
  await stores?.close();
  await rm(dir, { recursive: true, force: true });
});

const index = (dest: string, ...more: string[]) =>
  runPlume(['index', dest, '--json', ...stores.flags, ...more], { env: stores.env });
const summary = (stdout: string) =>
  JSON.parse(stdout) as {
    written: number;
    unchanged: number;
    deleted: number;
    pages: { key: string; action: string }[];
  };

async function fill(store: ObjectStore): Promise<void> {
  for (const [k, v] of Object.entries(FILES)) await store.put(k, Buffer.from(v));
}

interface Case {
  name: string;
  dest: () => string;
  open: () => Promise<ObjectStore>;
  /** the http URL the store's root is browsed at */
  browse: () => Promise<{ url: string; close: () => Promise<void> }>;
}

const cases: Case[] = [
  {
    name: 'file://',
    dest: () => pathToFileURL(join(dir, 'files')).href,
    open: () => openStore(join(dir, 'files')),
    browse: async () => {
      const http: HttpFiles = await serveFiles(join(dir, 'files'));
      return { url: http.url, close: () => http.close() };
    },
  },
  {
    name: 's3:// (s3rver)',
    dest: () => 's3://pub/releases/',
    open: () => stores.open('s3://pub/releases/'),
    browse: () =>
      Promise.resolve({ url: `${stores.s3.endpoint}/pub/releases/`, close: () => Promise.resolve() }),
  },
  {
    name: 'azure:// (Azurite)',
    dest: () => `azure://${AZURITE_ACCOUNT}/pub/releases/`,
    open: () => stores.open(`azure://${AZURITE_ACCOUNT}/pub/releases/`),
    browse: () =>
      Promise.resolve({ url: `${stores.azurite.endpoint}/pub/releases/`, close: () => Promise.resolve() }),
  },
];

describe.each(cases)('plume index on $name', (c) => {
  let store: ObjectStore;
  beforeAll(async () => {
    store = await c.open();
    await fill(store);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('--dry-run says what it would write and writes nothing', async () => {
    const r = await index(c.dest(), '--dry-run');
    expect(r.code).toBe(0);
    expect(summary(r.stdout)).toMatchObject({ written: DIRS.length, unchanged: 0, deleted: 0 });
    expect(await store.stat('index.html')).toBeUndefined();
  });

  it('writes a page per directory, short Cache-Control, and nothing on a rerun', async () => {
    const r = await index(c.dest());
    expect(r.code).toBe(0);
    const s = summary(r.stdout);
    expect(s.pages.map((p) => p.key).sort()).toEqual(DIRS.map((d) => `${d}index.html`).sort());
    expect(s.written).toBe(DIRS.length);
    const st = await store.stat('amd64-usr/index.html');
    expect(st?.contentType).toMatch(/^text\/html/);
    if (c.name !== 'file://') expect(st?.cacheControl).toBe('public, max-age=60');

    const again = await index(c.dest());
    expect(summary(again.stdout)).toMatchObject({ written: 0, unchanged: DIRS.length, deleted: 0 });
    const dry = await index(c.dest(), '--dry-run');
    expect(summary(dry.stdout)).toMatchObject({ written: 0, unchanged: DIRS.length, deleted: 0 });
  });

  it('Chromium browses every page and link; none is broken', async () => {
    const site = await c.browse();
    try {
      const slug = c.name.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '');
      const r = await crawl(`${site.url}index.html`, site.url, `index-${slug}.png`);
      expect(r.broken).toEqual([]);
      expect(r.pages).toHaveLength(DIRS.length);
      // every object is linked from its directory's page, the odd name included
      expect(r.objects).toHaveLength(Object.keys(FILES).length);
      expect(r.linkTexts.get(`${site.url}arm64-usr/4081.2.0/index.html`)).toContain('a b+c&<d>.txt');
      expect(existsSync(r.screenshot)).toBe(true);
    } finally {
      await site.close();
    }
  });

  it('rewrites only the pages whose directory changed; deletes pages of emptied directories', async () => {
    await store.put('arm64-usr/4081.2.0/new.txt', Buffer.from('new'));
    const r = await index(c.dest());
    expect(summary(r.stdout).pages.filter((p) => p.action !== 'unchanged')).toEqual([
      { key: 'arm64-usr/4081.2.0/index.html', action: 'written' },
    ]);
    await store.delete('amd64-usr/current/version.txt');
    const gone = await index(c.dest());
    expect(summary(gone.stdout).pages.filter((p) => p.action !== 'unchanged')).toEqual([
      { key: 'amd64-usr/current/index.html', action: 'deleted' },
      { key: 'amd64-usr/index.html', action: 'written' },
    ]);
    expect(await store.stat('amd64-usr/current/index.html')).toBeUndefined();
  });
});

describe('plume index errors', () => {
  it('an unsupported URL is exit 2 naming it', async () => {
    const r = await runPlume(['index', 'ftp://x/y']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ftp:\/\/x\/y/);
  });
  it('a missing bucket is exit 2 naming the bucket', async () => {
    const r = await index('s3://no-such-bucket/');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-bucket/);
  });
});
