import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { silentLogger, type Logger } from '@mantle/core/log';
import { listAll, type ObjectStore } from '@mantle/ore/storage';
import { renderIndexPage } from './render.js';
import { buildTree, INDEX_NAME, isIndexPage, parentDir } from './tree.js';

/** Browsers and CDNs re-check index pages after a minute: a release shows up quickly. */
export const INDEX_CACHE_CONTROL = 'public, max-age=60';
export const INDEX_CONTENT_TYPE = 'text/html; charset=utf-8';

export type PageAction = 'written' | 'unchanged' | 'deleted';

export interface IndexOptions {
  /** the first part of every page title (default: the store's bucket/container/directory name) */
  title?: string;
  /** only these directories (and their ancestors) get pages; default: every directory */
  dirs?: string[];
  dryRun?: boolean;
  /** page uploads in flight (default 8) */
  concurrency?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface IndexResult {
  store: string;
  dryRun: boolean;
  /** content objects seen */
  objects: number;
  pages: { key: string; action: PageAction }[];
  written: number;
  unchanged: number;
  deleted: number;
}

/**
 * Write an `index.html` for every directory of a store (or of `dirs` and their ancestors): a
 * page whose bytes equal the stored one is left alone (size + sha256), so a rerun over an
 * unchanged store writes nothing; pages of directories that no longer hold anything are deleted.
 */
export async function buildIndexes(store: ObjectStore, opts: IndexOptions = {}): Promise<IndexResult> {
  const log = opts.logger ?? silentLogger;
  const listing = await listAll(store, '', { recursive: true });
  const tree = buildTree(listing);
  const title = opts.title ?? storeTitle(store);
  const wanted = opts.dirs ? withAncestors(opts.dirs) : undefined;
  const existingPages = new Map(listing.filter((o) => isIndexPage(o.key)).map((o) => [o.key, o]));
  const limit = pLimit(opts.concurrency ?? 8);
  const pages: IndexResult['pages'] = [];

  const jobs = [...tree.values()]
    .filter((d) => !wanted || wanted.has(d.dir))
    .map((d) =>
      limit(async () => {
        opts.signal?.throwIfAborted();
        const key = `${d.dir}${INDEX_NAME}`;
        const html = Buffer.from(renderIndexPage(title, d));
        let action: PageAction;
        if (opts.dryRun) {
          action = (await samePage(store, key, html, existingPages.has(key))) ? 'unchanged' : 'written';
        } else {
          const r = await store.put(key, html, {
            contentType: INDEX_CONTENT_TYPE,
            cacheControl: INDEX_CACHE_CONTROL,
            skipIfSame: true,
            ...(opts.signal ? { signal: opts.signal } : {}),
          });
          action = r.skipped && !r.metadataUpdated ? 'unchanged' : 'written';
        }
        if (action === 'written') log.info(`${opts.dryRun ? 'would write' : 'wrote'} ${store.root}${key}`);
        pages.push({ key, action });
      }),
    );
  // Pages of directories that are gone (everything below them was deleted).
  for (const key of existingPages.keys()) {
    const dir = key.slice(0, -INDEX_NAME.length);
    if (tree.has(dir) || (wanted && !wanted.has(dir))) continue;
    jobs.push(
      limit(async () => {
        if (!opts.dryRun) await store.delete(key);
        log.info(`${opts.dryRun ? 'would delete' : 'deleted'} ${store.root}${key}`);
        pages.push({ key, action: 'deleted' });
      }),
    );
  }
  await Promise.all(jobs);
  pages.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const count = (a: PageAction): number => pages.filter((p) => p.action === a).length;
  return {
    store: store.root,
    dryRun: opts.dryRun ?? false,
    objects: listing.filter((o) => !isIndexPage(o.key) && !o.key.endsWith('/')).length,
    pages,
    written: count('written'),
    unchanged: count('unchanged'),
    deleted: count('deleted'),
  };
}

async function samePage(store: ObjectStore, key: string, html: Buffer, exists: boolean): Promise<boolean> {
  if (!exists) return false;
  const st = await store.stat(key, { sha256: true });
  return (
    st !== undefined &&
    st.size === html.length &&
    st.sha256 === createHash('sha256').update(html).digest('hex') &&
    (st.cacheControl === undefined || st.cacheControl === INDEX_CACHE_CONTROL)
  );
}

function withAncestors(dirs: string[]): Set<string> {
  const out = new Set<string>(['']);
  for (const raw of dirs) {
    let d = raw.replace(/^\/+/, '');
    if (d !== '' && !d.endsWith('/')) d += '/';
    for (; d !== ''; d = parentDir(d)) out.add(d);
  }
  return out;
}

/** The store's name for titles: bucket (and prefix), or the directory's name. */
export function storeTitle(store: ObjectStore): string {
  if (store.scheme === 'file') return store.bucket.split('/').filter(Boolean).at(-1) ?? '/';
  return `${store.bucket}${store.prefix ? `/${store.prefix.replace(/\/$/, '')}` : ''}`;
}
