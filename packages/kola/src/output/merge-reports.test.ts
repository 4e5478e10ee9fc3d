import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '@mantle/core/cli';
import { createLogger } from '@mantle/core/log';
import { MantleError } from '@mantle/core/errors';
import type { PlatformFactory } from '../platform/registry.js';
import { Registry } from '../registry/registry.js';
import { parseRunOptions, type RunOptionsInput } from '../run/options.js';
import { runCommand } from '../run/run-command.js';
import { FakeFlight } from '../testing/fake-platform.js';
import { assertValidJUnit, parseJUnit } from '../testing/junit-xml.js';
import { mergeReports } from './merge-reports.js';

// Sharded runs merged back: `kola run --shard i/3` three times (in process, on the in-memory
// platform: the split and the reports are what is tested, not machines), then merge-reports.

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'kola-merge-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function ctx(): CommandContext {
  const sink = new PassThrough();
  sink.resume();
  return {
    cwd,
    env: { MANTLE_CACHE_DIR: join(cwd, 'no-cache') },
    stdout: sink,
    stderr: sink,
    logger: createLogger({ stream: sink, level: 'warn' }),
    json: false,
    signal: new AbortController().signal,
    setExitCode: () => {},
  };
}

function registry(): Registry {
  const r = new Registry();
  for (let i = 0; i < 10; i++) r.register({ name: `demo.t${i}`, run: (c) => c.log(`test ${i}`) });
  r.register({ name: 'demo.fail', run: (c) => c.errorf('broken') });
  r.register({ name: 'demo.skip', run: (c) => c.skip('not here') });
  r.register({
    name: 'demo.parent',
    run: async (c) => {
      await c.run('a', (s) => s.log('child a'));
      await c.run('b', (s) => s.log('child b'));
    },
  });
  return r;
}

const fake: Record<string, PlatformFactory> = { qemu: () => Promise.resolve(new FakeFlight()) };
const run = (input: RunOptionsInput) =>
  runCommand(parseRunOptions(input), ctx(), { platforms: fake, registry: registry() });

describe('kola run --shard + kola merge-reports', () => {
  it('3 shards by name, merged, equal the unsharded run (report.json, junit.xml, test.tap)', async () => {
    const whole = await run({ globs: ['demo.*'], outputDir: 'whole' });
    for (const i of [1, 2, 3])
      await run({ globs: ['demo.*'], outputDir: `s${i}`, shard: { index: i, count: 3 } });
    const m = await mergeReports({ dirs: ['s1', 's2', 's3'], out: 'merged', cwd });
    const strip = (ts: { name: string; result: string; output: string }[]) =>
      ts.map((t) => ({ name: t.name, result: t.result, output: t.output }));
    expect(strip(m.tests)).toEqual(strip(whole.tests));
    expect(m.result).toBe('FAIL');
    const onDisk = JSON.parse(await readFile(join(cwd, 'merged', 'reports', 'report.json'), 'utf8')) as {
      tests: { name: string }[];
      platform: string;
    };
    expect(onDisk.tests.map((t) => t.name)).toEqual(whole.tests.map((t) => t.name));
    expect(onDisk.platform).toBe('qemu');
    // test.tap: the same lines as the unsharded run's
    const tap = await readFile(join(cwd, 'merged', 'test.tap'), 'utf8');
    expect(tap).toBe(await readFile(join(cwd, 'whole', 'test.tap'), 'utf8'));
    // junit.xml: the same testcases and counts
    const merged = await readFile(join(cwd, 'merged', 'reports', 'junit.xml'), 'utf8');
    await assertValidJUnit(merged);
    const a = parseJUnit(merged);
    const b = parseJUnit(await readFile(join(cwd, 'whole', 'reports', 'junit.xml'), 'utf8'));
    expect(a.attrs.tests).toBe(b.attrs.tests);
    expect(a.attrs.failures).toBe('1');
    expect(a.attrs.skipped).toBe('1');
  });

  it('3 shards by duration balance an earlier run and still cover every test once', async () => {
    // an earlier report in which demo.t0 took as long as everything else together
    const earlier = {
      tests: [
        { name: 'demo.t0', result: 'PASS', duration: 90e9, output: '' },
        ...Array.from({ length: 9 }, (_, i) => ({
          name: `demo.t${i + 1}`,
          result: 'PASS',
          duration: 10e9,
          output: '',
        })),
      ],
      result: 'PASS',
      platform: 'qemu',
      version: '',
    };
    await writeFile(join(cwd, 'earlier.json'), JSON.stringify(earlier));
    const { readDurations } = await import('../registry/shard.js');
    const durationsMs = await readDurations('earlier.json', cwd);
    const shards = [];
    for (const i of [1, 2, 3])
      shards.push(
        await run({
          globs: ['demo.*'],
          outputDir: `d${i}`,
          shard: { index: i, count: 3, by: 'duration', durationsMs },
        }),
      );
    const top = (r: { tests: { name: string }[] }) =>
      r.tests.map((t) => t.name).filter((n) => !n.includes('/'));
    // the long test runs alone in its shard
    expect(shards.map(top).find((s) => s.includes('demo.t0'))).toEqual(['demo.t0']);
    const m = await mergeReports({ dirs: ['d1', 'd2', 'd3'], out: 'dmerged', cwd });
    expect(top(m).sort()).toEqual(top(await run({ globs: ['demo.*'], outputDir: 'whole2' })).sort());
  });

  it('refuses overlapping shards, other platforms and directories without a report (exit 2)', async () => {
    await run({ globs: ['demo.t1'], outputDir: 'x1' });
    await run({ globs: ['demo.t1'], outputDir: 'x2' });
    const overlap = await mergeReports({ dirs: ['x1', 'x2'], out: 'xm', cwd }).catch((e: unknown) => e);
    expect(overlap).toBeInstanceOf(MantleError);
    expect((overlap as MantleError).exitCode).toBe(2);
    expect((overlap as MantleError).message).toContain('test demo.t1 is in both');
    await mkdir(join(cwd, 'empty'));
    const none = await mergeReports({ dirs: ['x1', 'empty'], out: 'xm', cwd }).catch((e: unknown) => e);
    expect((none as MantleError).code).toBe('KOLA_NO_REPORT');
    await mkdir(join(cwd, 'aws', 'reports'), { recursive: true });
    await writeFile(
      join(cwd, 'aws', 'reports', 'report.json'),
      JSON.stringify({ tests: [], result: 'PASS', platform: 'aws', version: '' }),
    );
    const plat = await mergeReports({ dirs: ['x1', 'aws'], out: 'xm', cwd }).catch((e: unknown) => e);
    expect((plat as MantleError).code).toBe('KOLA_REPORTS_DIFFER');
  });
});
