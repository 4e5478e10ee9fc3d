import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';

/**
 * Split tests into n shards by how long they took before (--shard-by duration): longest first,
 * each onto the shard with the least time so far (ties: the lowest shard, names break equal
 * durations), so every CI runner given the same report computes the same split. Tests the report
 * does not know count as the median of those it does (or 1 minute when it knows none).
 * Returns the shard (0-based) of every name.
 */
export function assignByDuration(
  names: readonly string[],
  count: number,
  durationsMs: ReadonlyMap<string, number>,
): Map<string, number> {
  const known = names
    .map((n) => durationsMs.get(n))
    .filter((d): d is number => d !== undefined)
    .sort((a, b) => a - b);
  const fallback = known.length > 0 ? (known[Math.floor(known.length / 2)] ?? 60_000) : 60_000;
  const cost = (n: string): number => durationsMs.get(n) ?? fallback;
  const order = [...names].sort((a, b) => cost(b) - cost(a) || (a < b ? -1 : a > b ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const out = new Map<string, number>();
  for (const n of order) {
    let best = 0;
    for (let i = 1; i < count; i++) if ((load[i] ?? 0) < (load[best] ?? 0)) best = i;
    load[best] = (load[best] ?? 0) + cost(n);
    out.set(n, best);
  }
  return out;
}

/**
 * Top-level test durations (ms) from an earlier report.json (`--shard-durations`); subtests
 * (`parent/child`) are part of their parent. A missing or malformed file is exit 2 naming it.
 */
export async function readDurations(path: string, cwd: string): Promise<Map<string, number>> {
  const file = resolve(cwd, path);
  const bad = (why: string): InputError =>
    new InputError({
      code: 'KOLA_BAD_DURATIONS',
      message: `--shard-durations ${file}: ${why}`,
      hint: "pass the reports/report.json of an earlier run (its tests' durations split the shards)",
      details: { flag: '--shard-durations', file },
    });
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw bad((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  const tests = (data as { tests?: unknown }).tests;
  if (!Array.isArray(tests)) throw bad('no "tests" array (not a kola report.json)');
  const out = new Map<string, number>();
  tests.forEach((t: unknown, i) => {
    const { name, duration } = (t ?? {}) as { name?: unknown; duration?: unknown };
    if (typeof name !== 'string' || typeof duration !== 'number' || duration < 0)
      throw bad(`tests[${i}] needs a string "name" and a non-negative "duration" (nanoseconds)`);
    if (!name.includes('/')) out.set(name, duration / 1e6);
  });
  return out;
}
