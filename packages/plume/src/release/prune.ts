import type { CommandContext } from '@mantle/core/cli';
import { UsageError } from '@mantle/core/errors';
import type { AmiInfo } from '@mantle/ore';
import { isAzureStore, listAll, type ObjectStore, type OpenStoreOptions } from '@mantle/ore/storage';
import { partitionClients } from '../destinations/aws.js';
import { StorePool } from '../fetch/object-url.js';
import { buildIndexes } from '../index-pages/build-indexes.js';
import { parentDir } from '../index-pages/tree.js';
import type { ReleaseSpec } from '../spec/schema.js';
import { checkChannelBoard, resolveRelease, VERSION_PLACEHOLDER } from '../spec/resolve.js';

// plume prune: the releases of a channel beyond the newest N (per board) are deleted from every
// destination — AWS AMIs with their snapshots in every region of every partition, GCE images of
// the family and their staged tarballs, Azure page blobs and gallery image versions, and the
// artifacts copied to the public stores (directories named after the version; their parents'
// index pages rebuilt). What exists is found by name (the spec's naming templates read
// backwards), so images made by earlier tools with the same names are found too. A dry run
// unless `yes`.

/** One thing prune deletes (or would). */
interface PruneTarget {
  board: string;
  version: string;
  /** `aws <partition> <region>`, `gce <project>`, the gallery image's ARM id or the store URL */
  where: string;
  kind: 'aws-image' | 'azure-blob' | 'azure-gallery-version' | 'gce-image' | 'gce-staged' | 'storage';
  /** the AMI id (its snapshot in `snapshotId`), the GCE image, the gallery version's ARM id or the object/directory URL */
  id: string;
  snapshotId?: string;
}

export interface PruneResult {
  channel: string;
  keep: number;
  dryRun: boolean;
  /** board → the versions kept, newest first */
  kept: Record<string, string[]>;
  targets: PruneTarget[];
  /** destinations prune cannot clean yet (no layer in ore) */
  skipped: string[];
}

export interface PruneOptions {
  spec: ReleaseSpec;
  channel: string;
  board?: string | undefined;
  keep: number;
  yes: boolean;
  storeOptions: OpenStoreOptions;
  /** wait between polls of a cloud operation (ms) */
  pollMs?: number;
}

/** Natural order of release versions: 4081.10.0 after 4081.9.1; a suffix orders after its base. */
export function compareVersions(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) return Number(x) - Number(y) || (x < y ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return ta.length - tb.length;
}

/**
 * One release's key across destinations: AMI names turn characters AWS refuses into `_`, GCE
 * image names `.` and `+` into `-`, so versions are compared with every separator as `-`.
 */
const versionKey = (v: string): string => v.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** A naming template (`Flatcar-stable-{version}-hvm`) as a matcher that gives the version back. */
function matcher(template: string): { literal: number; match(name: string): string | undefined } {
  const [head, ...rest] = template.split(VERSION_PLACEHOLDER);
  const re = new RegExp(
    `^${[head!, ...rest].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('(.+)')}$`,
  );
  return {
    literal: template.length - rest.length * VERSION_PLACEHOLDER.length,
    match: (name) => {
      const m = re.exec(name);
      return m && m.slice(1).every((x) => x === m[1]) ? m[1] : undefined;
    },
  };
}

/** The board whose template matches `name` most specifically (arm64 names also match amd64's). */
function claim(
  name: string,
  byBoard: { board: string; m: ReturnType<typeof matcher> }[],
): { board: string; version: string } | undefined {
  let best: { board: string; version: string; literal: number } | undefined;
  for (const { board, m } of byBoard) {
    const version = m.match(name);
    if (version !== undefined && (!best || m.literal > best.literal))
      best = { board, version, literal: m.literal };
  }
  return best && { board: best.board, version: best.version };
}

interface Found extends PruneTarget {
  /** a storage object's version directory (relative to its store) */
  dir?: string;
  remove: () => Promise<void>;
}

type Resolved = ReturnType<typeof resolveRelease>;

/**
 * The objects under a directory URL template holding {version} (gs://b/{board}/{version}/): the
 * store is opened at the part before the version's path segment, its keys matched backwards;
 * `want` picks the objects below the version directory. Returns the store (undefined for a
 * template without {version} or a store that cannot be listed).
 */
async function findVersioned(
  stores: StorePool,
  template: string,
  board: string,
  kind: 'gce-staged' | 'storage',
  found: Found[],
  want: (rest: string) => boolean,
): Promise<ObjectStore | undefined> {
  const at = template.indexOf(VERSION_PLACEHOLDER);
  if (at < 0) return undefined;
  const cut = template.lastIndexOf('/', at) + 1;
  const store = await stores.get(template.slice(0, cut));
  const dirTemplate = template.slice(cut).replace(/\/+$/, '');
  const m = matcher(dirTemplate);
  const depth = dirTemplate.split('/').length;
  for (const obj of await listAll(store, '', { recursive: true })) {
    const parts = obj.key.split('/');
    if (parts.length <= depth) continue;
    const dir = parts.slice(0, depth).join('/');
    const version = m.match(dir);
    // directories beside the versions ({board}/current, ...) match the template too: a release
    // directory is named after a version, which starts with MAJOR.MINOR numbers
    if (version === undefined || !/^\d+\.\d+/.test(version) || !want(parts.slice(depth).join('/'))) continue;
    found.push({
      board,
      version,
      where: store.root,
      kind,
      id: kind === 'storage' ? `${store.root}${dir}/` : `${store.root}${obj.key}`,
      dir: `${dir}/`,
      remove: () => store.delete(obj.key),
    });
  }
  return store;
}

/** Find the channel's releases in its destinations, keep the newest `keep` per board, delete the rest when `yes`. */
export async function prune(
  o: PruneOptions,
  ctx: Pick<CommandContext, 'cwd' | 'env' | 'logger'>,
): Promise<PruneResult> {
  if (!Number.isInteger(o.keep) || o.keep < 1)
    throw new UsageError({
      code: 'PLUME_BAD_KEEP',
      message: `--keep ${o.keep}: prune keeps at least the newest release`,
      hint: 'pass --keep N with N ≥ 1 (the number of releases per board to keep)',
      details: { flag: '--keep', value: o.keep },
    });
  checkChannelBoard(o.spec, o.channel, o.board);
  const boards = o.board !== undefined ? [o.board] : o.spec.channels[o.channel]!.boards;
  const all = o.spec.channels[o.channel]!.boards;
  const templates = all.map((board) => ({
    board,
    r: resolveRelease(o.spec, { channel: o.channel, board, version: VERSION_PLACEHOLDER }),
  }));
  const out: PruneResult = {
    channel: o.channel,
    keep: o.keep,
    dryRun: !o.yes,
    kept: {},
    targets: [],
    skipped: [],
  };
  const found: Found[] = [];
  const stores = new StorePool(o.storeOptions);
  const cleanups: (() => void)[] = [];
  try {
    // AWS: one listing per region of each partition (partitions are the same in every board).
    const aws = templates.find((t) => t.r.aws)?.r.aws;
    if (aws) {
      const amiMatchers = templates
        .filter((t) => t.r.aws)
        .map((t) => ({ board: t.board, m: matcher(t.r.aws!.amiName) }));
      const { listImages, deleteImage } = await import('@mantle/ore');
      for (const part of aws.partitions)
        for (const region of part.regions) {
          const clients = await partitionClients(ctx, part, region);
          cleanups.push(() => clients.destroy());
          for (const img of await listImages(clients)) {
            const c = claim(img.name, amiMatchers);
            if (!c) continue;
            found.push({
              ...c,
              where: `aws ${part.name} ${region}`,
              kind: 'aws-image',
              id: img.imageId,
              ...(img.snapshotId ? { snapshotId: img.snapshotId } : {}),
              remove: async () => {
                await deleteImage(clients, img satisfies AmiInfo, ctx.logger);
              },
            });
          }
        }
    }
    // Azure: the page blobs of each board's container (boards may share one).
    const containers = new Map<string, { board: string; m: ReturnType<typeof matcher> }[]>();
    for (const t of templates)
      if (t.r.azure) {
        const url = t.r.azure.blobs.replace(/\/?$/, '/');
        containers.set(url, [
          ...(containers.get(url) ?? []),
          { board: t.board, m: matcher(t.r.azure.blobName) },
        ]);
      }
    for (const [url, ms] of containers) {
      const store = await stores.get(url);
      if (!isAzureStore(store)) continue;
      for (const obj of await listAll(store, '', { recursive: true })) {
        const c = claim(obj.key, ms);
        if (!c) continue;
        found.push({
          ...c,
          where: store.root,
          kind: 'azure-blob',
          id: store.url(obj.key),
          remove: () => store.delete(obj.key),
        });
      }
    }
    const cloud = { ...ctx, ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}) };
    // Azure gallery image versions (MAJOR.MINOR.PATCH of the release) of each board's definition.
    const galleries = new Map<
      string,
      { g: NonNullable<NonNullable<Resolved['azure']>['gallery']>; board: string }
    >();
    for (const t of templates) {
      const g = t.r.azure?.gallery;
      const k = g && [g.subscription, g.resourceGroup, g.name, g.imageDefinition].join('|');
      if (g && k && !galleries.has(k)) galleries.set(k, { g, board: t.board });
    }
    if (galleries.size > 0) {
      const { galleryArm } = await import('../destinations/azure.js');
      const ore = await import('@mantle/ore');
      for (const { g, board } of galleries.values()) {
        const arm = await galleryArm(cloud, g.subscription);
        if (!(await ore.getGallerySharing(arm, g.resourceGroup, g.name))) continue;
        if (!(await ore.listGalleryImages(arm, g.resourceGroup, g.name)).includes(g.imageDefinition))
          continue;
        for (const v of await ore.listGalleryImageVersions(arm, g.resourceGroup, g.name, g.imageDefinition, {
          all: true,
        }))
          found.push({
            board,
            version: v.version,
            where: v.id.replace(/\/versions\/[^/]+$/, ''),
            kind: 'azure-gallery-version',
            id: v.id,
            remove: async () => {
              await ore.deleteGalleryImageVersion(arm, {
                resourceGroup: g.resourceGroup,
                gallery: g.name,
                image: g.imageDefinition,
                version: v.version,
                logger: ctx.logger,
              });
            },
          });
      }
    }
    // GCE: the family's images (one listing per project and family), the staged tarballs.
    const gceTemplates = templates.filter((t) => t.r.gce);
    if (gceTemplates.length > 0) {
      const { gceClientsFor } = await import('../destinations/gce.js');
      const ore = await import('@mantle/ore');
      const byFamily = new Map<string, typeof gceTemplates>();
      for (const t of gceTemplates) {
        const k = `${t.r.gce!.project}|${t.r.gce!.family}`;
        byFamily.set(k, [...(byFamily.get(k) ?? []), t]);
      }
      for (const ts of byFamily.values()) {
        const { project, family } = ts[0]!.r.gce!;
        const gce = await gceClientsFor(cloud, project);
        const ms = ts.map((t) => ({ board: t.board, m: matcher(t.r.gce!.imageName) }));
        for (const img of await ore.listGceImages(gce, { family, all: true })) {
          const c = claim(img.name, ms);
          if (!c) continue;
          found.push({
            ...c,
            where: `gce ${project}`,
            kind: 'gce-image',
            id: img.name,
            remove: async () => {
              await ore.deleteGceImages(gce, [img.name], { logger: ctx.logger });
            },
          });
        }
      }
      for (const t of gceTemplates)
        await findVersioned(
          stores,
          t.r.gce!.staging,
          t.board,
          'gce-staged',
          found,
          (rest) => rest === t.r.gce!.image,
        );
    }
    // The public stores: directories named after the version ({board}/{version}); their
    // parents' index pages are rebuilt after deleting.
    const reindex = new Map<ObjectStore, { dirs: Set<string>; title: string }>();
    for (const t of templates)
      for (const dest of t.r.storage)
        for (const path of dest.paths) {
          if (!path.includes(VERSION_PLACEHOLDER)) continue;
          const n = found.length;
          const store = await findVersioned(
            stores,
            `${dest.url.replace(/\/?$/, '/')}${path}/`,
            t.board,
            'storage',
            found,
            () => true,
          );
          if (dest.index && store && found.length > n) {
            const r = reindex.get(store) ?? { dirs: new Set<string>(), title: dest.title };
            for (const f of found.slice(n)) r.dirs.add(parentDir(f.dir ?? ''));
            reindex.set(store, r);
          }
        }

    for (const s of out.skipped) ctx.logger.warn(`not pruned: ${s}`);
    for (const board of boards) {
      const mine = found.filter((f) => f.board === board);
      const versions = [...new Set(mine.map((f) => versionKey(f.version)))].sort((a, b) =>
        compareVersions(b, a),
      );
      const kept = new Set(versions.slice(0, o.keep));
      const display = new Map<string, string>();
      for (const f of mine)
        // GCE image names and gallery versions lose the release version's spelling
        if (
          !display.has(versionKey(f.version)) ||
          (f.kind !== 'gce-image' && f.kind !== 'azure-gallery-version')
        )
          display.set(versionKey(f.version), f.version);
      out.kept[board] = [...kept].map((k) => display.get(k) ?? k);
      const dirs = new Set<string>();
      for (const f of mine) {
        if (kept.has(versionKey(f.version))) continue;
        const { remove, dir: _dir, ...target } = f;
        if (o.yes) await remove();
        if (f.kind === 'storage') {
          // one target per directory, not per object
          if (dirs.has(target.id)) continue;
          dirs.add(target.id);
        }
        out.targets.push(target);
      }
    }
    if (o.yes)
      for (const [store, r] of reindex)
        await buildIndexes(store, { dirs: [...r.dirs], title: r.title, logger: ctx.logger });
    out.targets.sort(
      (a, b) =>
        a.board.localeCompare(b.board) ||
        compareVersions(a.version, b.version) ||
        a.where.localeCompare(b.where),
    );
    return out;
  } finally {
    for (const c of cleanups) c();
    await stores.close();
  }
}
