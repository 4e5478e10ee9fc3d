import type { CommandContext } from '@mantle/core/cli';
import { UsageError } from '@mantle/core/errors';
import type { AmiInfo } from '@mantle/ore';
import { isAzureStore, listAll, type OpenStoreOptions } from '@mantle/ore/storage';
import { partitionClients } from '../destinations/aws.js';
import { StorePool } from '../fetch/object-url.js';
import type { ReleaseSpec } from '../spec/schema.js';
import { checkChannelBoard, resolveRelease, VERSION_PLACEHOLDER } from '../spec/resolve.js';

// plume prune: the releases of a channel beyond the newest N (per board) are deleted from the
// clouds — AWS AMIs with their snapshots in every region of every partition, Azure page blobs.
// What exists is found by name (the spec's naming templates read backwards), so images made by
// earlier tools with the same names are found too. A dry run unless `yes`.

/** One thing prune deletes (or would). */
interface PruneTarget {
  board: string;
  version: string;
  /** `aws <partition> <region>` or the blob container URL */
  where: string;
  kind: 'aws-image' | 'azure-blob';
  /** the AMI id (its snapshot in `snapshotId`) or the blob URL */
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

/** AMI names turn characters AWS refuses into `_`: versions are compared in that spelling. */
const versionKey = (v: string): string => v.replace(/[^A-Za-z0-9()./_-]/g, '_');

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
  remove: () => Promise<void>;
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
        if (t.r.azure.gallery)
          out.skipped.push(
            `azure gallery ${t.r.azure.gallery.name}/${t.r.azure.gallery.imageDefinition}: versions are not pruned here (ore azure gc --gallery-name deletes old ones)`,
          );
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
    for (const t of templates)
      if (t.r.gce && boards.includes(t.board))
        out.skipped.push(
          `gce ${t.r.gce.project} family ${t.r.gce.family}: @mantle/ore has no GCE image layer yet`,
        );

    for (const s of out.skipped) ctx.logger.warn(`not pruned: ${s}`);
    for (const board of boards) {
      const mine = found.filter((f) => f.board === board);
      const versions = [...new Set(mine.map((f) => versionKey(f.version)))].sort((a, b) =>
        compareVersions(b, a),
      );
      const kept = new Set(versions.slice(0, o.keep));
      out.kept[board] = [...kept];
      for (const f of mine) {
        if (kept.has(versionKey(f.version))) continue;
        const { remove, ...target } = f;
        if (o.yes) await remove();
        out.targets.push(target);
      }
    }
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
