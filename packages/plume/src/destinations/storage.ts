import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { mkdirInside, splitRelative } from '@mantle/core/fs';
import { listAll } from '@mantle/ore/storage';
import { isHttpUrl } from '../fetch/object-url.js';
import { buildIndexes } from '../index-pages/build-indexes.js';
import { isIndexPage } from '../index-pages/tree.js';
import type { ResolvedStorage } from '../spec/resolve.js';
import type { RunContext } from '../release/run-context.js';

// plume's public-store destination: the build's artifacts copied into each directory of the
// destination (e.g. amd64-usr/4081.2.0/ and amd64-usr/current/), objects with the same size and
// sha256 left alone, extraneous ones deleted (so `current` is exact), then the index pages.

/** The source's artifacts: a store source is listed; an http(s) one gives the names it was asked for. */
export async function sourceArtifacts(ctx: RunContext, known: string[]): Promise<string[]> {
  if (isHttpUrl(ctx.release.source)) return [...new Set(known)].sort();
  const store = await ctx.stores.get(ctx.release.source);
  const keys = (await listAll(store, '', { recursive: true }))
    .map((o) => o.key)
    .filter((k) => !isIndexPage(k) && !k.endsWith('/'))
    .sort();
  // Keys become cache paths and destination keys: one with '..' or a control character is refused.
  for (const k of keys) splitRelative(k, `object ${ctx.release.source}${k}`);
  return keys;
}

/** A source object in the local cache (downloaded once per run; files of a file:// source are used in place). */
async function localCopy(ctx: RunContext, name: string): Promise<string> {
  const url = `${ctx.release.source}${name}`;
  if (url.startsWith('file://')) return new URL(url).pathname;
  const root = join(ctx.cacheDir, 'artifacts');
  await mkdir(root, { recursive: true });
  const parts = splitRelative(name, `object ${url}`);
  const dir = await mkdirInside(root, parts.slice(0, -1).join('/'), { what: `object ${url}` });
  const dest = join(dir, parts.at(-1)!);
  const tmp = `${dest}.part`;
  try {
    if (isHttpUrl(url)) {
      const res = await fetch(url, { signal: ctx.signal });
      if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
      await pipeline(res.body as unknown as NodeJS.ReadableStream, createWriteStream(tmp));
    } else {
      const { store, key } = await ctx.stores.object(url);
      await pipeline(await store.get(key), createWriteStream(tmp), { signal: ctx.signal });
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return dest;
}

export interface SyncResult {
  url: string;
  copied: number;
  unchanged: number;
  deleted: number;
  indexPages: number;
}

/** Copy the artifacts into every path of one destination, delete what the source lacks, rebuild its pages. */
export async function syncStorage(
  ctx: RunContext,
  dest: ResolvedStorage,
  artifacts: string[],
): Promise<SyncResult> {
  const store = await ctx.stores.get(dest.url.replace(/\/?$/, '/'));
  const out: SyncResult = { url: store.root, copied: 0, unchanged: 0, deleted: 0, indexPages: 0 };
  const files = new Map<string, string>();
  for (const name of artifacts) files.set(name, await localCopy(ctx, name));
  for (const path of dest.paths) {
    const prefix = `${path}/`;
    for (const [name, file] of files) {
      const r = await store.put(`${prefix}${name}`, file, { skipIfSame: true, signal: ctx.signal });
      if (r.skipped) out.unchanged++;
      else out.copied++;
    }
    if (dest.delete) {
      for (const o of await listAll(store, prefix, { recursive: true })) {
        const name = o.key.slice(prefix.length);
        if (files.has(name) || isIndexPage(o.key) || o.key.endsWith('/')) continue;
        await store.delete(o.key);
        out.deleted++;
      }
    }
  }
  if (dest.index) {
    const r = await buildIndexes(store, {
      dirs: dest.paths,
      title: dest.title,
      logger: ctx.logger,
      signal: ctx.signal,
    });
    out.indexPages = r.written;
  }
  ctx.logger.info(`${store.root}: ${out.copied} copied, ${out.unchanged} unchanged, ${out.deleted} deleted`);
  return out;
}
