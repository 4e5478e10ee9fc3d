// runNative, checks and journal collection through the harness, against the fake platform whose
// machines answer kolet's protocol (probe, verified install, run with reboot marks, check).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mantle/core/log';
import type { CommandContext } from '@mantle/core/cli';
import { Harness } from '../harness/harness.js';
import type { TestResult } from '../harness/test-node.js';
import type { PlatformFactory } from '../platform/registry.js';
import type { MachineExecOptions } from '../platform/types.js';
import { defineTest } from '../registry/define-test.js';
import { Registry } from '../registry/registry.js';
import { parseRunOptions } from '../run/options.js';
import { runCommand } from '../run/run-command.js';
import { FakeFlight, type FakeBehavior, type FakeMachine } from '../testing/fake-platform.js';
import { KoletAgent } from './agent.js';
import type { TestDefinition } from '../types.js';

let root: string;
let env: NodeJS.ProcessEnv;
let n = 0;
const KOLET_BYTES = Buffer.from('#!/fake kolet executable\n'.repeat(100));
const SHA = createHash('sha256').update(KOLET_BYTES).digest('hex');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kola-kolet-'));
  const exe = join(root, 'kolet');
  await writeFile(exe, KOLET_BYTES, { mode: 0o755 });
  await writeFile(`${exe}.gz`, gzipSync(KOLET_BYTES));
  await writeFile(`${exe}.sha256`, `${SHA}  kolet\n`);
  await writeFile(
    `${exe}.json`,
    JSON.stringify({
      version: '0.0.1',
      buildId: 'fakebuild',
      sha256: SHA,
      size: KOLET_BYTES.length,
      gzSize: 0,
      node: 'v20',
      platform: 'linux',
      arch: 'x64',
      bundledTests: ['t.native', 't.reboot', 't.loop'],
    }),
  );
  env = { KOLET_EXECUTABLE: exe, MANTLE_CACHE_DIR: join(root, 'no-cache') };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Per-machine state of the fake kolet protocol. */
interface KoletState {
  installed: boolean;
  installs: number;
  runs: string[];
}
const states = new WeakMap<FakeMachine, KoletState>();
const state = (m: FakeMachine): KoletState => {
  let s = states.get(m);
  if (!s) states.set(m, (s = { installed: false, installs: 0, runs: [] }));
  return s;
};

function koletBehavior(extra: Partial<FakeBehavior> = {}): FakeBehavior {
  return {
    ...extra,
    exec: (cmd: string, m: FakeMachine, opts: MachineExecOptions) => {
      const s = state(m);
      if (cmd.includes('version 2>/dev/null')) return { exitCode: s.installed ? 0 : 1 };
      if (cmd.startsWith('set -e') && cmd.includes('gunzip')) {
        expect(opts.user).toBe('root');
        // what the install command checks on the machine: sha256 of the gunzipped stdin
        const got = createHash('sha256')
          .update(gunzipSync(Buffer.from(opts.stdin as Uint8Array)))
          .digest('hex');
        if (!cmd.includes(got)) return { exitCode: 1, stderr: 'kolet upload corrupted' };
        s.installed = true;
        s.installs++;
        return { exitCode: 0 };
      }
      const run = /\/var\/lib\/kolet\/kolet run (?:--reboot-mark (\S+) )?(\S+) (\S+)$/.exec(cmd);
      if (run) {
        const [, mark, , func] = run;
        s.runs.push(`${func ?? ''}${mark ? `@${mark}` : ''}`);
        switch (func) {
          case 'hello':
            return { stdout: 'hello from the machine\n', stderr: 'a log line\n' };
          case 'skipper':
            return { exitCode: 77, stderr: 'SKIP: not on this machine\n' };
          case 'boom':
            return { exitCode: 1, stderr: 'FAIL: t.native/boom: it broke\n' };
          case 'once':
            return mark === 'm1'
              ? { stdout: 'after the reboot\n' }
              : { exitCode: 78, stdout: 'before\nKOLET_REBOOT_REQUEST m1\n' };
          default:
            return { exitCode: 78, stdout: `KOLET_REBOOT_REQUEST again${s.runs.length}\n` };
        }
      }
      if (cmd.includes('/var/lib/kolet/kolet check - --format json')) {
        const text = String(opts.stdin);
        const failed = text.includes('fail-me');
        // goss's JSON shape, as kolet prints it
        const result = (id: string, ok: boolean) => ({
          'resource-type': 'File',
          'resource-id': id,
          property: 'exists',
          title: '',
          meta: null,
          result: ok ? 0 : 1,
          successful: ok,
          skipped: false,
          err: null,
          'matcher-result': {
            actual: ok,
            message: ok ? 'matches expectation' : 'to equal',
            expected: true,
            'missing-elements': null,
            'found-elements': null,
            'extra-elements': null,
            'transform-chain': null,
            'untransformed-value': null,
          },
          'start-time': '2024-01-01T00:00:00.000Z',
          'end-time': '2024-01-01T00:00:00.001Z',
          'summary-line': `File: ${id}: exists: ${ok ? 'matches expectation: true' : 'Expected\n    false\nto equal\n    true'}`,
          'summary-line-compact': `File: ${id}: exists: ${ok ? 'matches expectation: true' : 'Expected false to equal true'}`,
          duration: 1000000,
        });
        const results = [result('/etc/hostname', true), ...(failed ? [result('/fail-me', false)] : [])];
        const report = {
          results,
          summary: {
            'test-count': results.length,
            'failed-count': failed ? 1 : 0,
            'skipped-count': 0,
            'total-duration': 2000000,
            'summary-line': `Count: ${results.length}, Failed: ${failed ? 1 : 0}`,
          },
        };
        return { exitCode: failed ? 1 : 0, stdout: JSON.stringify(report) };
      }
      // the probe and journal.txt in one round trip
      if (cmd.startsWith('command -v journalctl'))
        return { stdout: 'kola-journal: JOURNALD\n[    1.000000] localhost kola-hello: hi\n' };
      if (cmd.includes('-o export')) {
        opts.onStdout?.(Buffer.from('__CURSOR=s=1\nMESSAGE=hi\n\n'));
        return { stdout: '__CURSOR=s=1\nMESSAGE=hi\n\n' };
      }
      return extra.exec?.(cmd, m, opts);
    },
  };
}

async function runTests(
  defs: TestDefinition[],
  behavior = koletBehavior(),
): Promise<{ results: TestResult[]; flight: FakeFlight; dir: string }> {
  const flight = new FakeFlight(behavior);
  const dir = join(root, `run-${++n}`);
  const h = new Harness({
    flight,
    tests: defs.map((d) => defineTest(d)),
    target: { platform: 'fake', distro: 'systemd', arch: 'amd64' },
    outputDir: dir,
    parallel: 1,
    kolet: KoletAgent.load(env),
  });
  return { results: (await h.run()).tests, flight, dir };
}

const byName = (rs: TestResult[], name: string): TestResult => {
  const flat = (r: TestResult): TestResult[] => [r, ...r.subtests.flatMap(flat)];
  const r = rs.flatMap(flat).find((x) => x.name === name);
  if (!r) throw new Error(`no result ${name}`);
  return r;
};

const fn = (): void => {};

describe('runNative through kolet', () => {
  it('installs kolet once per machine (verified), runs functions and maps pass/skip/fail', async () => {
    const { results, flight } = await runTests([
      {
        name: 't.native',
        nativeFuncs: { hello: fn, boom: fn, skipper: fn },
        run: async (c) => {
          const m = c.machines[0] as FakeMachine;
          const out = await c.runNative('hello', m);
          if (out !== 'hello from the machine\n') c.errorf('runNative returned %j', out);
          await c.run('again', async (s) => void (await s.runNative('hello', m)));
          await c.run('fails', async (s) => void (await s.runNative('boom', m)));
          await c.run('skips', async (s) => void (await s.runNative('skipper', m)));
          await c.run('unknown', async (s) => void (await s.runNative('nope', m)));
        },
      },
    ]);
    const m = flight.clusters[0]?.machines[0] as FakeMachine;
    expect(state(m)).toMatchObject({
      installed: true,
      installs: 1,
      runs: ['hello', 'hello', 'boom', 'skipper'],
    });
    const t = byName(results, 't.native');
    expect(t.result).toBe('FAIL');
    expect(t.output).toContain('native hello on fake-');
    expect(t.output).toContain('    hello from the machine');
    expect(t.output).toContain('    a log line');
    expect(byName(results, 't.native/again').result).toBe('PASS');
    expect(byName(results, 't.native/fails')).toMatchObject({
      result: 'FAIL',
      output: expect.stringContaining('native function boom failed on fake-') as string,
    });
    expect(byName(results, 't.native/fails').output).toContain('FAIL: t.native/boom: it broke');
    expect(byName(results, 't.native/skips')).toMatchObject({
      result: 'SKIP',
      skipReason: 'native function skipper skipped: not on this machine',
    });
    expect(byName(results, 't.native/unknown').output).toContain(
      'test t.native has no native function "nope"',
    );
  });

  it('reboots on request and reruns with the mark; gives up after 10 reboots', async () => {
    const { results, flight } = await runTests([
      {
        name: 't.reboot',
        nativeFuncs: { once: fn },
        run: async (c) => void (await c.runNative('once', c.machines[0] as FakeMachine)),
      },
      {
        name: 't.loop',
        nativeFuncs: { forever: fn },
        run: async (c) => void (await c.runNative('forever', c.machines[0] as FakeMachine)),
      },
    ]);
    const [loopMachine, onceMachine] = [
      flight.clusters[1]?.machines[0],
      flight.clusters[0]?.machines[0],
    ] as FakeMachine[];
    expect(onceMachine?.bootCount).toBe(2);
    expect(state(onceMachine as FakeMachine).runs).toEqual(['once', 'once@m1']);
    expect(byName(results, 't.reboot')).toMatchObject({ result: 'PASS' });
    expect(byName(results, 't.reboot').output).toContain('asked for reboot 1 (mark m1)');
    expect(byName(results, 't.reboot').output).toContain('after the reboot');
    expect(loopMachine?.bootCount).toBe(11);
    expect(byName(results, 't.loop').output).toContain('asked for more than 10 reboots');
  });

  it('refuses a built-in test whose functions this kolet does not carry', async () => {
    const { results } = await runTests([
      {
        name: 't.unbundled',
        nativeFuncs: { hello: fn },
        run: async (c) => void (await c.runNative('hello', c.machines[0] as FakeMachine)),
      },
    ]);
    expect(byName(results, 't.unbundled').output).toContain(
      'was built without the native functions of t.unbundled',
    );
  });
});

describe('checks', () => {
  it('runs a checks-only test as the subtest <test>/checks and lists every check', async () => {
    const { results } = await runTests([
      { name: 't.checks', checks: 'file:\n  /etc/hostname: { exists: true }\n' },
    ]);
    expect(byName(results, 't.checks').result).toBe('PASS');
    const sub = byName(results, 't.checks/checks');
    expect(sub.result).toBe('PASS');
    expect(sub.output).toContain('checks of test t.checks (inline checks) on fake-');
    expect(sub.output).toContain('ok    File: /etc/hostname: exists: matches expectation: true');
  });

  it('a failing check fails the test after its body and names the failed checks; c.runChecks only reports', async () => {
    let seen: boolean | undefined;
    const { results } = await runTests([
      {
        name: 't.fails',
        checks: { file: { '/fail-me': { exists: true } } },
        run: async (c) => {
          seen = (await c.runChecks(c.machines[0] as FakeMachine, 'file:\n  /fail-me: { exists: true }\n'))
            .passed;
        },
      },
    ]);
    expect(seen).toBe(false);
    expect(byName(results, 't.fails').result).toBe('FAIL');
    const sub = byName(results, 't.fails/checks');
    expect(sub.result).toBe('FAIL');
    expect(sub.output).toMatch(
      /1 check\(s\) failed on fake-\d+:\n {4}File: \/fail-me: exists: Expected false to equal true/,
    );
  });
});

describe('an image kolet cannot run on', () => {
  it('is a missing prerequisite (exit 3) that stops the run, saying which libraries', async () => {
    const tiny = koletBehavior();
    const base = tiny.exec;
    tiny.exec = (cmd, m, o) =>
      cmd.includes('/var/lib/kolet/kolet check')
        ? {
            exitCode: 127,
            stderr:
              '/var/lib/kolet/kolet: error while loading shared libraries: libstdc++.so.6: cannot open shared object file\n',
          }
        : base?.(cmd, m, o);
    const flight = new FakeFlight(tiny);
    const h = new Harness({
      flight,
      tests: [defineTest({ name: 't.nolibs', checks: 'file:\n  /etc/hostname: { exists: true }\n' })],
      target: { platform: 'fake', distro: 'tiny', arch: 'amd64' },
      outputDir: join(root, `run-${++n}`),
      parallel: 1,
      kolet: KoletAgent.load(env),
    });
    const r = await h.run();
    expect(r.prerequisiteError).toMatchObject({ code: 'KOLET_CANNOT_START', exitCode: 3 });
    expect(r.prerequisiteError?.message).toContain(
      'the image lacks a library kolet needs (glibc, libstdc++6, libgcc-s1)',
    );
    expect(byName(r.tests, 't.nolibs/checks').result).toBe('FAIL');
  });
});

describe('journal', () => {
  it('writes journal.txt and journal-raw.txt.gz beside console.txt under journald', async () => {
    const { flight } = await runTests([{ name: 't.journal', run: () => {} }]);
    const m = flight.clusters[0]?.machines[0] as FakeMachine;
    expect(await readFile(join(m.outputDir, 'journal.txt'), 'utf8')).toContain('kola-hello: hi');
    expect(gunzipSync(await readFile(join(m.outputDir, 'journal-raw.txt.gz'))).toString()).toBe(
      '__CURSOR=s=1\nMESSAGE=hi\n\n',
    );
  });

  it('skips the raw export where journalctl is a stand-in without journald (any image)', async () => {
    const tiny = koletBehavior();
    const base = tiny.exec;
    tiny.exec = (cmd, m, o) =>
      cmd.startsWith('command -v journalctl')
        ? { stdout: 'kola-journal: NOJOURNALD\n[    1.000000] localhost kola-hello: hi\n' }
        : base?.(cmd, m, o);
    const { flight } = await runTests([{ name: 't.tiny', run: () => {} }], tiny);
    const m = flight.clusters[0]?.machines[0] as FakeMachine;
    expect(await readFile(join(m.outputDir, 'journal.txt'), 'utf8')).toContain('kola-hello');
    await expect(readFile(join(m.outputDir, 'journal-raw.txt.gz'))).rejects.toThrow(/ENOENT/);
  });
});

describe('kola run prerequisites', () => {
  function ctx(e: NodeJS.ProcessEnv): CommandContext {
    const sink = new PassThrough();
    sink.resume();
    return {
      cwd: root,
      env: e,
      stdout: sink,
      stderr: sink,
      logger: createLogger({ stream: sink, level: 'error' }),
      json: false,
      signal: new AbortController().signal,
      setExitCode: () => {},
    };
  }
  const booted: string[] = [];
  const fake: Record<string, PlatformFactory> = {
    qemu: () => {
      booted.push('flight');
      return Promise.resolve(new FakeFlight(koletBehavior()));
    },
  };
  const registry = (): Registry => {
    const r = new Registry();
    r.register({ name: 'p.native', nativeFuncs: { hello: fn }, run: () => {} });
    r.register({ name: 'p.checks', checks: 'nope.yaml' });
    r.register({ name: 'p.plain', run: () => {} });
    return r;
  };

  it('a missing kolet executable is exit 3 before any machine boots (only when a selected test needs it)', async () => {
    const missing = { ...env, KOLET_EXECUTABLE: join(root, 'no-such-kolet') };
    await expect(
      runCommand(parseRunOptions({ globs: ['p.native'], outputDir: join(root, 'o1') }), ctx(missing), {
        platforms: fake,
        registry: registry(),
      }),
    ).rejects.toMatchObject({
      code: 'KOLET_EXECUTABLE_MISSING',
      exitCode: 3,
      hint: expect.stringContaining('pnpm --filter @mantle/kola build') as string,
    });
    expect(booted).toEqual([]);
    const ok = await runCommand(
      parseRunOptions({ globs: ['p.plain'], outputDir: join(root, 'o2') }),
      ctx(missing),
      { platforms: fake, registry: registry() },
    );
    expect(ok.result).toBe('PASS');
    expect(booted).toEqual(['flight']);
  });

  it('an unreadable check spec is exit 2 before any machine boots; a stale kolet is exit 3', async () => {
    booted.length = 0;
    await expect(
      runCommand(parseRunOptions({ globs: ['p.checks'], outputDir: join(root, 'o3') }), ctx(env), {
        platforms: fake,
        registry: registry(),
      }),
    ).rejects.toMatchObject({
      code: 'CHECK_SPEC_UNREADABLE',
      exitCode: 2,
      message: expect.stringContaining(join(root, 'nope.yaml')) as string,
    });
    const r = new Registry();
    r.register({ name: 'p.bad', checks: 'file:\n  /x: { mdoe: 1 }\n' });
    await expect(
      runCommand(parseRunOptions({ outputDir: join(root, 'o4') }), ctx(env), {
        platforms: fake,
        registry: r,
      }),
    ).rejects.toMatchObject({
      code: 'CHECK_SPEC_INVALID',
      exitCode: 2,
    });
    await expect(
      runCommand(parseRunOptions({ globs: ['p.native'], outputDir: join(root, 'o5') }), ctx(env), {
        platforms: fake,
        registry: registry(),
      }),
    ).rejects.toMatchObject({ code: 'KOLET_STALE', exitCode: 3 });
    expect(booted).toEqual([]);
  });
});
