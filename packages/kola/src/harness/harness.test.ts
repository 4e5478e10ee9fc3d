import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrerequisiteError } from '@mantle/core/errors';
import { defineTest } from '../registry/define-test.js';
import { FakeFlight, type FakeBehavior, type FakeMachine } from '../testing/fake-platform.js';
import { Harness, type HarnessOptions } from './harness.js';
import type { TestResult } from './test-node.js';
import type { TestDefinition } from '../types.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kola-harness-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function runTests(
  defs: TestDefinition[],
  behavior: FakeBehavior = {},
  extra: Partial<HarnessOptions> = {},
): Promise<{
  results: TestResult[];
  lines: string[];
  flight: FakeFlight;
  harness: Awaited<ReturnType<Harness['run']>>;
  dir: string;
}> {
  const flight = new FakeFlight(behavior);
  const lines: string[] = [];
  const dir = join(root, `run-${++n}`);
  const h = new Harness({
    flight,
    tests: defs.map((d) => defineTest(d)),
    target: { platform: 'fake', distro: 'cl', arch: 'amd64' },
    outputDir: dir,
    parallel: 1,
    write: (l) => lines.push(l),
    ...extra,
  });
  const harness = await h.run();
  return { results: harness.tests, lines, flight, harness, dir };
}

const byName = (rs: TestResult[], name: string): TestResult => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no result ${name}`);
  return r;
};

describe('harness basics', () => {
  it('runs passing, failing and skipped tests and prints Go-style lines', async () => {
    const { results, lines, flight, harness, dir } = await runTests([
      { name: 'a.pass', run: async (c) => void (await c.mustSsh(c.machines[0] as FakeMachine, 'whoami')) },
      { name: 'b.fail', run: (c) => c.errorf('bad %d', 42) },
      { name: 'c.skip', run: (c) => c.skip('not here') },
    ]);
    expect(results.map((r) => [r.name, r.result])).toEqual([
      ['a.pass', 'PASS'],
      ['b.fail', 'FAIL'],
      ['c.skip', 'SKIP'],
    ]);
    expect(byName(results, 'b.fail').output).toBe('bad 42');
    expect(byName(results, 'c.skip').skipReason).toBe('not here');
    expect(harness.result).toBe('FAIL');
    expect(lines[0]).toBe('=== RUN   a.pass');
    expect(lines[1]).toMatch(/^--- PASS: a\.pass \(\d+\.\d\ds\)$/);
    expect(lines).toContain('    bad 42');
    expect(lines.some((l) => /^--- SKIP: c\.skip \(/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe(`FAIL, output in ${dir}`);
    // every cluster is destroyed and each test had its own output dir
    expect(flight.clusters.map((c) => c.destroyed)).toEqual([true, true, true]);
    expect(flight.clusters.map((c) => c.opts.outputDir)).toEqual([
      join(dir, 'a.pass'),
      join(dir, 'b.fail'),
      join(dir, 'c.skip'),
    ]);
    expect(harness.image.versionId).toBe('1.2.3');
  });

  it('errorf continues, fatalf stops, a thrown error fails with its message', async () => {
    const { results } = await runTests([
      {
        name: 'e.error',
        run: (c) => {
          c.errorf('first');
          c.log('still running');
        },
      },
      {
        name: 'e.fatal',
        run: (c) => {
          c.fatalf('stop %s', 'here');
          c.log('never');
        },
      },
      {
        name: 'e.throw',
        run: () => {
          throw new Error('boom');
        },
      },
      {
        name: 'e.mustssh',
        run: async (c) => {
          await c.mustSsh(c.machines[0] as FakeMachine, 'false');
          c.log('never');
        },
      },
    ]);
    expect(byName(results, 'e.error')).toMatchObject({ result: 'FAIL', output: 'first\nstill running' });
    expect(byName(results, 'e.fatal')).toMatchObject({ result: 'FAIL', output: 'stop here' });
    expect(byName(results, 'e.throw')).toMatchObject({ result: 'FAIL', output: 'error: boom' });
    const must = byName(results, 'e.mustssh');
    expect(must.result).toBe('FAIL');
    expect(must.output).toContain('"false" on fake-');
    expect(must.output).toContain('exited 1: false failed');
    expect(must.output).not.toContain('never');
  });

  it('evaluates skip functions and version gates before and after boot', async () => {
    const { results, flight } = await runTests([
      { name: 'g.skipfn', skip: (t) => (t.platform === 'fake' ? 'no fakes' : false), run: () => {} },
      { name: 'g.first', run: () => {} },
      { name: 'g.min', minVersion: '2.0.0', run: (c) => c.fatal('ran') },
      { name: 'g.end', endVersion: '1.2.3', run: (c) => c.fatal('ran') },
      { name: 'g.inside', minVersion: '1.2', endVersion: '1.10', run: (c) => c.log('ran') },
    ]);
    expect(byName(results, 'g.skipfn')).toMatchObject({ result: 'SKIP', skipReason: 'no fakes' });
    // the version is known after g.first booted, so the gated tests are skipped without a cluster
    expect(byName(results, 'g.min').result).toBe('SKIP');
    expect(byName(results, 'g.min').skipReason).toContain('older than');
    expect(byName(results, 'g.end').skipReason).toContain('at or past');
    expect(byName(results, 'g.inside')).toMatchObject({ result: 'PASS', output: 'ran' });
    expect(flight.clusters.map((c) => c.name)).toEqual(['g.first', 'g.inside']);
  });

  it('boots clusterSize machines with a private LAN when there are several; 0 boots none', async () => {
    const sizes: number[] = [];
    const lans: (string | undefined)[] = [];
    const { results } = await runTests([
      {
        name: 'k.two',
        clusterSize: 2,
        run: (c) => {
          sizes.push(c.machines.length);
          lans.push(...c.machines.map((m) => m.privateIp));
        },
      },
      {
        name: 'k.zero',
        clusterSize: 0,
        run: async (c) => {
          sizes.push(c.machines.length);
          await c.newMachine();
          sizes.push(c.machines.length);
        },
      },
    ]);
    expect(results.every((r) => r.result === 'PASS')).toBe(true);
    expect(sizes).toEqual([2, 0, 1]);
    expect(lans).toEqual(['10.0.0.10', '10.0.0.11']);
  });
});

describe('subtests', () => {
  it('reports parent/child results, indents them, and fails the parent with the child', async () => {
    const { results, lines } = await runTests([
      {
        name: 's.parent',
        run: async (c) => {
          c.log('parent says');
          await c.run('ok', (s) => s.log('child ok'));
          const passed = await c.run('bad', (s) => s.errorf('child bad'));
          c.logf('bad passed=%s', passed);
        },
      },
    ]);
    const p = byName(results, 's.parent');
    expect(p.result).toBe('FAIL');
    expect(p.subtests.map((s) => [s.name, s.result])).toEqual([
      ['s.parent/ok', 'PASS'],
      ['s.parent/bad', 'FAIL'],
    ]);
    expect(p.output).toBe('parent says\nbad passed=false');
    const start = lines.findIndex((l) => l.startsWith('--- FAIL: s.parent '));
    expect(lines.slice(0, 3)).toEqual([
      '=== RUN   s.parent',
      '=== RUN   s.parent/ok',
      '=== RUN   s.parent/bad',
    ]);
    expect(lines[start + 1]).toBe('    parent says');
    expect(lines[start + 2]).toBe('    bad passed=false');
    // where the test's time went, after its own output and before the subtests
    expect(lines[start + 3]).toMatch(/^ {4}timing: boot \d+\.\ds, ssh .*, teardown \d+\.\ds$/);
    expect(lines[start + 4]).toMatch(/^ {4}--- PASS: s\.parent\/ok \(/);
    expect(lines[start + 5]).toBe('        child ok');
    expect(lines[start + 6]).toMatch(/^ {4}--- FAIL: s\.parent\/bad \(/);
    expect(lines[start + 7]).toBe('        child bad');
  });

  it('failFast stops at the first failing subtest', async () => {
    const ran: string[] = [];
    const { results } = await runTests([
      {
        name: 'ff.test',
        failFast: true,
        run: async (c) => {
          await c.run('one', () => void ran.push('one'));
          await c.run('two', (s) => {
            ran.push('two');
            s.fatal('two failed');
          });
          await c.run('three', () => void ran.push('three'));
          c.log('after three');
        },
      },
    ]);
    expect(ran).toEqual(['one', 'two']);
    const r = byName(results, 'ff.test');
    expect(r.result).toBe('FAIL');
    expect(r.subtests.map((s) => s.name)).toEqual(['ff.test/one', 'ff.test/two']);
    expect(r.output).not.toContain('after three');
  });

  it('parallel subtests run concurrently and the parent waits for them', async () => {
    let release!: () => void;
    const secondStarted = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const { results } = await runTests([
      {
        name: 'par.test',
        run: (c) => {
          void c.run(
            'first',
            async (s) => {
              // deadlocks (and times out) unless 'second' starts while 'first' is still running
              await secondStarted;
              order.push('first done');
              s.log('saw second');
            },
            { parallel: true },
          );
          void c.run(
            'second',
            () => {
              order.push('second started');
              release();
            },
            { parallel: true },
          );
        },
        timeout: 5000,
      },
    ]);
    const r = byName(results, 'par.test');
    expect(r.result).toBe('PASS');
    expect(order).toEqual(['second started', 'first done']);
    expect(r.subtests.map((s) => s.result)).toEqual(['PASS', 'PASS']);
  });
});

describe('timeouts, console checks, rerun, abort', () => {
  it('a timed-out test fails with each machine console tail and its cluster destroyed', async () => {
    const console50 = Array.from({ length: 50 }, (_, i) => `console line ${i + 1}`).join('\n');
    const { results, flight } = await runTests(
      [
        {
          name: 't.hang',
          clusterSize: 2,
          timeout: 300,
          run: () => new Promise(() => {}),
        },
      ],
      { bootConsole: () => console50 },
    );
    const r = byName(results, 't.hang');
    expect(r.result).toBe('FAIL');
    expect(r.timedOut).toBe(true);
    expect(r.output).toContain('test timed out after 0.30s');
    const cluster = flight.clusters[0];
    expect(cluster?.destroyed).toBe(true);
    for (const m of cluster?.machines ?? []) {
      expect(m.destroyed).toBe(true);
      expect(r.output).toContain(`console of ${m.id} (last 30 lines):`);
    }
    expect(r.output).toContain('    console line 50');
    expect(r.output).not.toContain('console line 20\n');
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('a boot that hangs past the timeout is abandoned and its console shown', async () => {
    const { results, flight } = await runTests([{ name: 't.boothang', timeout: 200, run: () => {} }], {
      hangBoot: true,
      bootConsole: () => 'Loading kernel\nwaiting for root device',
    });
    const r = byName(results, 't.boothang');
    expect(r).toMatchObject({ result: 'FAIL', timedOut: true });
    expect(r.output).toContain('waiting for root device');
    expect(flight.clusters[0]?.destroyed).toBe(true);
  });

  it('fails a passing test whose console shows a kernel panic unless the test flags it off', async () => {
    const { results } = await runTests(
      [
        { name: 'con.plain', run: () => {} },
        { name: 'con.flagged', flags: ['no-kernel-panic-check'], run: () => {} },
        { name: 'con.off', flags: ['no-console-check'], run: () => {} },
      ],
      {
        bootConsole: (m) =>
          `booting ${m.id}\n[    1.2] Kernel panic - not syncing: VFS: Unable to mount root fs`,
      },
    );
    const plain = byName(results, 'con.plain');
    expect(plain.result).toBe('FAIL');
    expect(plain.output).toMatch(/console check of fake-\d+ found 1 problem\(s\):/);
    expect(plain.output).toMatch(
      /fake-\d+\/console\.txt:2: kernel panic: \[ {4}1\.2\] Kernel panic - not syncing: VFS/,
    );
    expect(byName(results, 'con.flagged').result).toBe('PASS');
    expect(byName(results, 'con.off').result).toBe('PASS');
  });

  it('a failed boot fails the test with the error and the console tail', async () => {
    const { results } = await runTests([{ name: 'boot.fail', run: () => {} }], {
      bootError: () => new Error('ssh never came up'),
      bootConsole: () => 'dracut: waiting',
    });
    const r = byName(results, 'boot.fail');
    expect(r.result).toBe('FAIL');
    expect(r.output).toContain('error: ssh never came up');
    expect(r.output).toContain('    dracut: waiting');
  });

  it('--rerun-failed: a pass on the rerun is a flake, a second failure stays a failure', async () => {
    let attempts = 0;
    const { results, lines, harness } = await runTests(
      [
        {
          name: 'r.flaky',
          run: (c) => {
            attempts++;
            if (attempts === 1) c.fatal('first attempt fails');
          },
        },
        { name: 'r.broken', run: (c) => c.fatal('always fails') },
      ],
      {},
      { rerunFailed: true },
    );
    const flaky = byName(results, 'r.flaky');
    expect(flaky).toMatchObject({ result: 'PASS', flake: true, attempts: 2 });
    expect(flaky.output).toContain('first attempt fails');
    const broken = byName(results, 'r.broken');
    expect(broken).toMatchObject({ result: 'FAIL', attempts: 2 });
    expect(broken.flake).toBeUndefined();
    expect(harness.result).toBe('FAIL');
    expect(lines.some((l) => /^--- PASS: r\.flaky \(.*\) # flaky$/.test(l))).toBe(true);
  });

  it('abort stops scheduling, destroys running clusters and marks the rest not run', async () => {
    const ac = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const flight = new FakeFlight();
    const lines: string[] = [];
    const h = new Harness({
      flight,
      tests: [
        defineTest({
          name: 'ab.hang',
          run: () => {
            started();
            return new Promise(() => {});
          },
        }),
        defineTest({ name: 'ab.later', run: () => {} }),
        defineTest({ name: 'ab.last', run: () => {} }),
      ],
      target: { platform: 'fake', distro: 'cl', arch: 'amd64' },
      outputDir: join(root, 'abort'),
      parallel: 1,
      signal: ac.signal,
      write: (l) => lines.push(l),
    });
    const done = h.run();
    await running;
    ac.abort(new Error('SIGINT'));
    const res = await done;
    expect(res.interrupted).toBe(true);
    expect(res.result).toBe('FAIL');
    expect(res.tests.map((t) => [t.name, t.result, t.interrupted, t.notRun ?? false])).toEqual([
      ['ab.hang', 'FAIL', true, false],
      ['ab.later', 'SKIP', true, true],
      ['ab.last', 'SKIP', true, true],
    ]);
    expect(flight.clusters).toHaveLength(1);
    expect(flight.clusters[0]?.destroyed).toBe(true);
    expect(lines).not.toContain('=== RUN   ab.later');
  });

  it('a missing prerequisite stops the run and is handed back to the caller', async () => {
    const { results, harness } = await runTests(
      [
        { name: 'p.one', run: () => {} },
        { name: 'p.two', run: () => {} },
      ],
      {
        clusterError: () =>
          new PrerequisiteError({ code: 'QEMU_MISSING', message: 'qemu-system-x86_64 not found' }),
      },
    );
    expect(harness.prerequisiteError?.code).toBe('QEMU_MISSING');
    expect(byName(results, 'p.one').result).toBe('FAIL');
    expect(byName(results, 'p.two')).toMatchObject({ result: 'SKIP', notRun: true });
  });

  it('keeps console.txt of each machine in <test>/<machine-id>/', async () => {
    const { flight, dir } = await runTests([{ name: 'o.files', clusterSize: 2, run: () => {} }]);
    for (const m of flight.clusters[0]?.machines ?? []) {
      const text = await readFile(join(dir, 'o.files', m.id, 'console.txt'), 'utf8');
      expect(text).toContain(`fake: ${m.id} booting`);
    }
  });
});

describe('shared machines and snapshots', () => {
  it('runs exclusive:false tests in turn on one machine, each its own result; a failure stays its own', async () => {
    const seen: string[] = [];
    const { results, flight, lines, dir } = await runTests(
      [
        {
          name: 'r.one',
          exclusive: false,
          run: (c) => void seen.push((c.machines[0] as FakeMachine).id),
        },
        {
          name: 'r.two',
          exclusive: false,
          run: (c) => {
            seen.push((c.machines[0] as FakeMachine).id);
            c.errorf('two is broken');
          },
        },
        {
          name: 'r.three',
          exclusive: false,
          run: (c) => void seen.push((c.machines[0] as FakeMachine).id),
        },
        { name: 'r.alone', run: () => {} },
      ],
      {},
      { parallel: 2 },
    );
    expect(results.map((r) => [r.name, r.result])).toEqual([
      ['r.one', 'PASS'],
      ['r.two', 'FAIL'],
      ['r.three', 'PASS'],
      ['r.alone', 'PASS'],
    ]);
    expect(byName(results, 'r.two').output).toContain('two is broken');
    expect(byName(results, 'r.three').output).toContain('on the machine shared with r.one, r.two');
    // one machine for the three, one for the exclusive test; both destroyed at the end
    expect(new Set(seen).size).toBe(1);
    expect(flight.clusters.map((c) => [c.name, c.destroyed])).toEqual([
      ['r.one,r.two,r.three', true],
      ['r.alone', true],
    ]);
    // each test is reported on its own, with its own timing line; the later ones boot nothing
    for (const name of ['r.one', 'r.two', 'r.three'])
      expect(lines.some((l) => l.startsWith(`--- ${name === 'r.two' ? 'FAIL' : 'PASS'}: ${name} (`))).toBe(
        true,
      );
    expect(byName(results, 'r.three').timing?.bootMs).toBe(0);
    // the later tests get their part of the shared console
    const machine = seen[0] ?? '';
    await expect(readFile(join(dir, 'r.three', machine, 'console.txt'), 'utf8')).resolves.toBe('');
  });

  it('a test of a group that times out takes the machine with it; the next test gets a new one', async () => {
    const { results, flight } = await runTests([
      { name: 't.hang', exclusive: false, timeout: 200, run: () => new Promise<void>(() => {}) },
      { name: 't.after', exclusive: false, run: () => {} },
    ]);
    expect(results.map((r) => [r.name, r.result, r.timedOut ?? false])).toEqual([
      ['t.hang', 'FAIL', true],
      ['t.after', 'PASS', false],
    ]);
    expect(flight.clusters).toHaveLength(2);
    expect(flight.clusters.every((c) => c.destroyed)).toBe(true);
  });

  it('asks for snapshots only where two units boot the same config, and reports the timing', async () => {
    const { results, flight } = await runTests(
      [
        { name: 's.a', run: () => {} },
        { name: 's.b', run: () => {} },
        { name: 's.c', userData: '{"ignition":{"version":"3.3.0"}}', run: () => {} },
      ],
      {},
      { snapshot: true },
    );
    // the snapshot is prepared up front; once it is ready (at once here) its units go first
    expect(flight.preparedSnapshots).toEqual([undefined]);
    expect(flight.clusters.map((c) => [c.name, c.machineOptions])).toEqual([
      ['s.a', [{ snapshot: true }]],
      ['s.b', [{ snapshot: true }]],
      ['s.c', [{}]],
    ]);
    expect(results.map((r) => r.name)).toEqual(['s.a', 's.b', 's.c']);
    expect(Object.keys(byName(results, 's.a').timing ?? {}).sort()).toEqual([
      'bodyMs',
      'bootMs',
      'koletMs',
      'sshMs',
      'teardownMs',
    ]);
  });
});
