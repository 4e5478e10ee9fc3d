import { UsageError } from '@mantle/core/errors';
import { globMatcher } from '@mantle/core/text';
import { normalizeGoArch } from './arch.js';
import { assignByDuration, readDurations } from './shard.js';
import type { KolaTest } from '../types.js';

/** A 1-based shard of a run: `--shard 2/4` is { index: 2, count: 4 }. */
export interface Shard {
  index: number;
  count: number;
  /** how tests are split: every n-th by name (default), or balanced by earlier durations */
  by?: 'name' | 'duration';
  /** ms per top-level test, from an earlier report.json (`--shard-by duration`) */
  durationsMs?: ReadonlyMap<string, number>;
}

/** What `kola run` selects tests by. Every field is optional. */
export interface SelectionCriteria {
  /** test-name globs (picomatch); a test is selected when any matches; default: every test */
  globs?: readonly string[];
  /** keep tests having at least one of these tags */
  tags?: readonly string[];
  /** drop tests having any of these tags */
  excludeTags?: readonly string[];
  /** drop tests whose names match any of these globs (`--denylist-test`) */
  denylist?: readonly string[];
  platform?: string;
  distro?: string;
  arch?: string;
  shard?: Shard;
}

export type ExclusionReason =
  'glob' | 'tag' | 'exclude-tag' | 'denylist' | 'platform' | 'distro' | 'arch' | 'shard';

export interface Selection {
  /** the selected tests, sorted by name */
  tests: KolaTest[];
  /** every test not selected, with the first filter that dropped it */
  excluded: { name: string; reason: ExclusionReason }[];
}

// Test-name globs are read by core's shared helper (picomatch's syntax); kola's API keeps the name.
export { globMatcher };

/** True when `value` passes an allow list (empty = all) and a deny list. */
function allowed(value: string, allow: readonly string[], deny: readonly string[]): boolean {
  if (allow.length > 0 && !allow.includes(value)) return false;
  return !deny.includes(value);
}

/**
 * Filter tests the way `kola run` does, in a fixed order so "why was nothing selected" has a
 * clear answer: name globs, tags, excluded tags, denylist, platform, distro, architecture, and
 * last the shard (sorted names, i-th of every n), so every CI runner given the same flags
 * computes the same split.
 */
export function selectTests(all: readonly KolaTest[], c: SelectionCriteria): Selection {
  const byGlob = globMatcher(c.globs && c.globs.length > 0 ? c.globs : ['*']);
  const deny = c.denylist && c.denylist.length > 0 ? globMatcher(c.denylist) : () => false;
  const arch = c.arch === undefined ? undefined : normalizeGoArch(c.arch);
  const excluded: Selection['excluded'] = [];
  const kept: KolaTest[] = [];
  const sorted = [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of sorted) {
    let reason: ExclusionReason | undefined;
    if (!byGlob(t.name)) reason = 'glob';
    else if (c.tags && c.tags.length > 0 && !t.tags.some((tag) => c.tags?.includes(tag))) reason = 'tag';
    else if (c.excludeTags && t.tags.some((tag) => c.excludeTags?.includes(tag))) reason = 'exclude-tag';
    else if (deny(t.name)) reason = 'denylist';
    else if (c.platform !== undefined && !allowed(c.platform, t.platforms, t.excludePlatforms))
      reason = 'platform';
    else if (c.distro !== undefined && !allowed(c.distro, t.distros, t.excludeDistros)) reason = 'distro';
    else if (arch !== undefined && !allowed(arch, t.architectures, t.excludeArchitectures)) reason = 'arch';
    if (reason) excluded.push({ name: t.name, reason });
    else kept.push(t);
  }
  if (!c.shard) return { tests: kept, excluded };
  const { index, count } = c.shard;
  const byDuration =
    c.shard.by === 'duration'
      ? assignByDuration(
          kept.map((t) => t.name),
          count,
          c.shard.durationsMs ?? new Map(),
        )
      : undefined;
  const tests: KolaTest[] = [];
  kept.forEach((t, i) => {
    if ((byDuration ? byDuration.get(t.name) : i % count) === index - 1) tests.push(t);
    else excluded.push({ name: t.name, reason: 'shard' });
  });
  return { tests, excluded };
}

/** Parse `--shard i/n` (1-based, i ≤ n; `hash:` prefix of cosa's --sharding accepted). */
export function parseShard(text: string, flag = '--shard'): Shard {
  const m = /^(?:hash:)?(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError({
      code: 'BAD_SHARD',
      message: `${flag} ${text}: expected i/n with 1 ≤ i ≤ n, e.g. 1/3`,
      hint: `shards count from 1: run '${flag} 1/3', '${flag} 2/3' and '${flag} 3/3' on three runners`,
    });
  }
  return { index, count };
}

/** `--shard` with `--shard-by`/`--shard-durations` (the durations file is read here: exit 2 when bad). */
export async function shardOptions(
  shard: Shard,
  by: 'name' | 'duration',
  durationsFile: string | undefined,
  cwd: string,
): Promise<Shard> {
  if (by === 'name') {
    if (durationsFile !== undefined)
      throw new UsageError({
        code: 'BAD_SHARD',
        message: '--shard-durations is used only with --shard-by duration',
        hint: 'add --shard-by duration, or drop --shard-durations',
      });
    return shard;
  }
  if (durationsFile === undefined)
    throw new UsageError({
      code: 'BAD_SHARD',
      message: "--shard-by duration needs --shard-durations REPORT (an earlier run's reports/report.json)",
      hint: 'pass the merged report.json of the last run (kola merge-reports writes one), or use --shard-by name',
    });
  return { ...shard, by, durationsMs: await readDurations(durationsFile, cwd) };
}

/** A sentence explaining why a selection is empty, naming the globs, tags and filters. */
export function describeEmptySelection(sel: Selection, c: SelectionCriteria, total: number): string {
  if (total === 0) return 'no tests are registered';
  const counts = new Map<ExclusionReason, number>();
  for (const e of sel.excluded) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
  const globs = c.globs && c.globs.length > 0 ? c.globs.map((g) => `'${g}'`).join(', ') : "'*'";
  const parts = [`no test matched ${globs}`];
  if (c.tags?.length) parts.push(`with tag ${c.tags.join('|')}`);
  const why: string[] = [];
  const label: Record<ExclusionReason, string> = {
    glob: 'did not match the globs',
    tag: `had none of the tags ${c.tags?.join(', ') ?? ''}`,
    'exclude-tag': `had an excluded tag (${c.excludeTags?.join(', ') ?? ''})`,
    denylist: `were denylisted (${c.denylist?.join(', ') ?? ''})`,
    platform: `do not run on platform ${c.platform ?? ''}`,
    distro: `do not run on distro ${c.distro ?? ''}`,
    arch: `do not run on arch ${c.arch ?? ''}`,
    shard: `belong to other shards than ${c.shard ? `${c.shard.index}/${c.shard.count}` : ''}`,
  };
  for (const [reason, n] of counts) if (reason !== 'glob') why.push(`${n} ${label[reason]}`);
  return why.length > 0 ? `${parts.join(' ')} (${why.join('; ')})` : parts.join(' ');
}
