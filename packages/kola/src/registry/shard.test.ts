import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MantleError } from '@mantle/core/errors';
import { builtinTests } from '../tests/index.js';
import { selectTests, shardOptions, parseShard } from './filter.js';
import { assignByDuration, readDurations } from './shard.js';

describe('--shard-by duration', () => {
  it('puts the longest tests first onto the least loaded shard, the same way every time', () => {
    const d = new Map([
      ['a', 50],
      ['b', 40],
      ['c', 30],
      ['d', 20],
      ['e', 10],
    ]);
    const s = assignByDuration(['e', 'd', 'c', 'b', 'a'], 2, d);
    // a(50) → 0, b(40) → 1, c(30) → 1 (70), d(20) → 0 (70), e(10) → 0 (80)
    expect([...s].sort()).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 1],
      ['d', 0],
      ['e', 0],
    ]);
    expect(assignByDuration(['a', 'b', 'c', 'd', 'e'], 2, d)).toEqual(s);
  });

  it('the built-in tests split into 3 shards by name and by duration partition the selection', () => {
    const all = selectTests(builtinTests, {}).tests.map((t) => t.name);
    const durationsMs = new Map(all.map((n, i) => [n, (i % 5) * 1000]));
    for (const by of ['name', 'duration'] as const) {
      const parts = [1, 2, 3].map(
        (index) => selectTests(builtinTests, { shard: { index, count: 3, by, durationsMs } }).tests,
      );
      expect(
        parts
          .flat()
          .map((t) => t.name)
          .sort(),
      ).toEqual([...all].sort());
      for (const p of parts) expect(p.length).toBeGreaterThan(0);
    }
  });

  it('bad durations files and flag combinations are exit 2 naming the flag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kola-shard-'));
    try {
      await writeFile(join(dir, 'r.json'), JSON.stringify({ tests: [{ name: 'x' }] }));
      const e = await readDurations('r.json', dir).catch((x: unknown) => x);
      expect((e as MantleError).exitCode).toBe(2);
      expect((e as MantleError).message).toContain('--shard-durations');
      expect((e as MantleError).message).toContain('tests[0]');
      const missing = await readDurations('nope.json', dir).catch((x: unknown) => x);
      expect((missing as MantleError).code).toBe('KOLA_BAD_DURATIONS');
      const none = await shardOptions(parseShard('1/2'), 'duration', undefined, dir).catch((x: unknown) => x);
      expect((none as MantleError).message).toContain('--shard-by duration needs --shard-durations');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
