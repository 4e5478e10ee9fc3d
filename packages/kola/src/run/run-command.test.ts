import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mantle/core/log';
import type { CommandContext } from '@mantle/core/cli';
import { Registry } from '../registry/registry.js';
import { FakeFlight, type FakeMachine } from '../testing/fake-platform.js';
import { assertValidJUnit, parseJUnit } from '../testing/junit-xml.js';
import type { PlatformFactory } from '../platform/registry.js';
import { parseRunOptions, type RunOptionsInput } from './options.js';
import { runCommand } from './run-command.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'kola-runcmd-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function context(json = false, signal = new AbortController().signal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const codes: number[] = [];
  const ctx: CommandContext = {
    cwd,
    // an empty image cache: no image tells the distro, so it is the default (cl)
    env: { MANTLE_CACHE_DIR: join(cwd, 'no-cache') },
    stdout,
    stderr,
    logger: createLogger({ stream: stderr, level: 'info' }),
    json,
    signal,
    setExitCode: (c) => codes.push(c),
  };
  return { ctx, codes, out: () => out, err: () => err };
}

function registry(): Registry {
  const r = new Registry();
  r.register({
    name: 'demo.pass',
    tags: ['smoke'],
    run: async (c) => void (await c.mustSsh(c.machines[0] as FakeMachine, 'whoami')),
  });
  r.register({ name: 'demo.fail', run: (c) => c.errorf('nope <&>') });
  r.register({ name: 'demo.skip', run: (c) => c.skip('later') });
  r.register({ name: 'demo.cloud', platforms: ['aws'], run: () => {} });
  return r;
}

const flights: FakeFlight[] = [];
const fake: Record<string, PlatformFactory> = {
  qemu: () => {
    const f = new FakeFlight();
    flights.push(f);
    return Promise.resolve(f);
  },
};

const run = (input: RunOptionsInput, c = context()) =>
  runCommand(parseRunOptions(input), c.ctx, {
    platforms: fake,
    registry: registry(),
    now: () => new Date(2025, 5, 6, 7, 8),
    pid: 4242,
  });

describe('runCommand', () => {
  it('runs, prints Go lines, writes every report and sets exit code 1 on a failure', async () => {
    const c = context();
    const res = await run({ globs: ['demo.*'] }, c);
    const dir = join(cwd, '_kola_temp', 'qemu-2025-06-06-0708-4242');
    expect(res.outputDir).toBe(dir);
    expect(c.codes).toEqual([1]);
    expect(res.result).toBe('FAIL');
    expect(res.version).toBe('1.2.3');
    expect(res.tests.map((t) => [t.name, t.result])).toEqual([
      ['demo.fail', 'FAIL'],
      ['demo.pass', 'PASS'],
      ['demo.skip', 'SKIP'],
    ]);
    expect(c.out()).toContain('=== RUN   demo.fail\n--- FAIL: demo.fail (');
    expect(c.out().trimEnd().split('\n').at(-1)).toBe(`FAIL, output in ${dir}`);
    expect(await readlink(join(cwd, '_kola_temp', 'qemu-latest'))).toBe('qemu-2025-06-06-0708-4242');

    const report = JSON.parse(await readFile(join(dir, 'reports', 'report.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(report).toMatchObject({ result: 'FAIL', platform: 'qemu', version: '1.2.3' });
    const tap = await readFile(join(dir, 'test.tap'), 'utf8');
    expect(tap).toContain(
      '1..3\nnot ok 1 - demo.fail\n  ---\n  message: |-\n    nope <&>\n  ...\nok 2 - demo.pass\nok 3 - demo.skip # SKIP later\n',
    );
    const junitXml = await readFile(join(dir, 'reports', 'junit.xml'), 'utf8');
    await assertValidJUnit(junitXml);
    const junit = parseJUnit(junitXml);
    expect(junit.attrs).toMatchObject({ tests: '3', failures: '1', skipped: '1' });
    const props = JSON.parse(await readFile(join(dir, 'properties.json'), 'utf8')) as Record<string, unknown>;
    expect(props).toMatchObject({ platform: 'qemu', distro: 'cl', result: 'FAIL', parallel: 1 });
    expect(typeof props.arch).toBe('string');
    expect(props.options).toMatchObject({ globs: ['demo.*'], platform: 'qemu' });
    expect(props.image).toMatchObject({ versionId: '1.2.3', id: 'fake' });
    expect(flights.at(-1)?.destroyed).toBe(true);
  });

  it('passes with exit code unset, --json keeps stdout for data, --tapfile copies TAP', async () => {
    const c = context(true);
    const res = await run({ globs: ['demo.pass'], outputDir: 'out-json', tapfile: 'copy.tap' }, c);
    expect(c.codes).toEqual([]);
    expect(res.result).toBe('PASS');
    expect(c.out()).toBe('');
    expect(c.err()).toContain('=== RUN   demo.pass');
    expect(await readFile(join(cwd, 'copy.tap'), 'utf8')).toBe('TAP version 13\n1..1\nok 1 - demo.pass\n');
  });

  it('selects by tag and shard, and explains when nothing matched (exit 2)', async () => {
    const tagged = await run({ tags: ['smoke'], outputDir: 'out-tag' });
    expect(tagged.tests.map((t) => t.name)).toEqual(['demo.pass']);
    const shard = await run({ globs: ['demo.*'], shard: { index: 2, count: 2 }, outputDir: 'out-shard' });
    expect(shard.tests.map((t) => t.name)).toEqual(['demo.pass']);
    await expect(run({ globs: ['demo.cloud', 'nothing.*'] })).rejects.toMatchObject({
      code: 'NO_TEST_MATCHED',
      exitCode: 2,
      message: "no test matched 'demo.cloud', 'nothing.*' (1 do not run on platform qemu)",
    });
    await expect(run({ platform: 'vmware' })).rejects.toMatchObject({
      code: 'UNKNOWN_PLATFORM',
      exitCode: 2,
    });
    await expect(run({ exttest: ['dir'] })).rejects.toMatchObject({
      code: 'EXTTEST_DIR_MISSING',
      exitCode: 2,
    });
  });

  it('an interrupted run writes its reports and sets exit code 130', async () => {
    const ac = new AbortController();
    const c = context(false, ac.signal);
    const r = new Registry();
    r.register({
      name: 'slow.one',
      run: async (tc) => {
        setTimeout(() => ac.abort(new Error('SIGINT')), 20);
        await new Promise((res) => tc.signal.addEventListener('abort', res));
      },
    });
    r.register({ name: 'slow.two', run: () => {} });
    const res = await runCommand(parseRunOptions({ outputDir: 'out-int' }), c.ctx, {
      platforms: fake,
      registry: r,
    });
    expect(c.codes).toEqual([130]);
    expect(res.interrupted).toBe(true);
    expect(res.tests.map((t) => [t.name, t.result, t.interrupted])).toEqual([
      ['slow.one', 'FAIL', true],
      ['slow.two', 'SKIP', true],
    ]);
    const report = JSON.parse(await readFile(join(cwd, 'out-int', 'reports', 'report.json'), 'utf8')) as {
      tests: unknown[];
    };
    expect(report.tests).toHaveLength(2);
    expect(flights.at(-1)?.clusters.every((cl) => cl.destroyed)).toBe(true);
  });
});
