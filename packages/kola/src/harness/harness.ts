import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MantleError } from '@mantle/core/errors';
import { checkSegment } from '@mantle/core/fs';
import { silentLogger, type Logger } from '@mantle/core/log';
import { checkConsole, consoleTail, formatConsoleMatch } from '../console/check-console.js';
import { KoletAgent } from '../kolet/agent.js';
import {
  checksBaseDir,
  failedChecks,
  formatCheckLines,
  resolveCheckSpec,
  type ResolvedCheckSpec,
} from '../kolet/check-spec.js';
import { formatFinalLine, formatResultLines, formatRunLine } from '../output/console-reporter.js';
import type { Cluster, Flight, Machine } from '../platform/types.js';
import { formatSeconds } from '../registry/duration.js';
import { versionOutsideRange } from '../registry/version-compare.js';
import { collectJournal } from './journal.js';
import { probeImageInfo, type ImageInfo } from './os-release.js';
import { FatalSentinel, isSentinel } from './sentinels.js';
import { HarnessTestCluster, describe } from './test-cluster.js';
import { planUnits, type RunUnit } from './plan.js';
import { runScheduled } from './schedule.js';
import { TestNode, type TestResult, type TestTiming } from './test-node.js';
import type { KolaTest, RunTarget, SubtestOptions, TestCluster } from '../types.js';

export interface HarnessOptions {
  flight: Flight;
  /** the selected tests, in the order to start them */
  tests: readonly KolaTest[];
  /** platform, distro, arch (and version, when known in advance) of the run */
  target: RunTarget;
  /** the run's output directory; each test writes to `<outputDir>/<test name>` */
  outputDir: string;
  /** how many tests run at once (≥ 1) */
  parallel: number;
  /** run failed tests a second time; a pass then is a flake */
  rerunFailed?: boolean;
  /** destroy clusters after each test (default true; false keeps machines for debugging) */
  remove?: boolean;
  /** aborts the run: no new tests start, running ones are stopped and their clusters destroyed */
  signal?: AbortSignal;
  logger?: Logger;
  /** receives the console lines (`=== RUN`, `--- PASS`, final line) */
  write?: (line: string) => void;
  /** how long to wait for a cluster's destroy() before moving on (default 60 s) */
  destroyTimeoutMs?: number;
  /** console lines quoted per machine when a test times out (default 30) */
  consoleTailLines?: number;
  /** kolet for runNative and checks (default: loaded from @mantle/kolet when first needed) */
  kolet?: KoletAgent;
  /** the check specs of the tests that have `checks`, validated before booting (by test name) */
  checkSpecs?: ReadonlyMap<string, ResolvedCheckSpec>;
  /** save journal.txt / journal-raw.txt.gz of every machine after each test (default true) */
  journal?: boolean;
  /**
   * restore machines from snapshots where several machines boot the same config (default false
   * for a Harness used as a library; `kola run` turns it on unless --no-snapshot)
   */
  snapshot?: boolean;
  /** run `exclusive: false` tests of the same user data on one shared machine (default true) */
  share?: boolean;
}

export interface HarnessResult {
  tests: TestResult[];
  result: 'PASS' | 'FAIL';
  image: ImageInfo;
  interrupted: boolean;
  /** a missing prerequisite (qemu, image) that stopped the run; the caller reports it (exit 3) */
  prerequisiteError?: MantleError;
  startedAt: Date;
  endedAt: Date;
}

const DEFAULT_DESTROY_TIMEOUT_MS = 60_000;

/** The directory of a test's cluster: its name with `/` replaced so subtests never nest. */
export function testDirName(name: string): string {
  // Names are validated when tests are defined; this keeps a name that slipped past from ever
  // naming `.`, `..` or a path (UnsafePathError, exit 2).
  return checkSegment(name.replace(/\//g, '_'), 'test name');
}

/**
 * Runs selected tests against a platform's Flight: bounded parallelism, a cluster per test,
 * per-test timeouts, subtests, console checks, rerun of failures, and interrupt handling.
 */
export class Harness {
  private readonly log: Logger;
  private readonly write: (line: string) => void;
  private readonly image: ImageInfo = {};
  private probe: Promise<void> | undefined;
  private stopped = false;
  private prerequisiteError: MantleError | undefined;
  private kolet: KoletAgent | undefined;

  constructor(private readonly opts: HarnessOptions) {
    this.log = opts.logger ?? silentLogger;
    this.write = opts.write ?? (() => {});
    if (opts.target.version) this.image.versionId = opts.target.version;
    this.kolet = opts.kolet;
  }

  /** The kolet agent; a missing kolet executable is a PrerequisiteError (exit 3). */
  private koletAgent(): KoletAgent {
    this.kolet ??= KoletAgent.load(process.env, this.log);
    return this.kolet;
  }

  /** Run every test, then rerun failures when asked; never throws for a failing test. */
  async run(): Promise<HarnessResult> {
    const startedAt = new Date();
    const signal = this.opts.signal;
    let results = await this.runAll(this.opts.tests, (t) => join(this.opts.outputDir, testDirName(t.name)));

    if (this.opts.rerunFailed && !signal?.aborted && !this.stopped) {
      const failed = results.filter((r) => r.result === 'FAIL' && !r.interrupted);
      if (failed.length > 0) {
        this.log.info(`rerunning ${failed.length} failed test(s): ${failed.map((r) => r.name).join(', ')}`);
        const byName = new Map(this.opts.tests.map((t) => [t.name, t]));
        const again = failed.map((r) => byName.get(r.name)).filter((t): t is KolaTest => t !== undefined);
        const rerun = await this.runAll(
          again,
          (t) => join(this.opts.outputDir, 'rerun', testDirName(t.name)),
          true,
        );
        const rerunByName = new Map(rerun.map((r) => [r.name, r]));
        results = results.map((first) => {
          const second = rerunByName.get(first.name);
          return second && !second.notRun ? mergeRerun(first, second) : first;
        });
      }
    }

    const interrupted = Boolean(signal?.aborted);
    const failed =
      results.some((r) => r.result === 'FAIL') || interrupted || this.prerequisiteError !== undefined;
    const out: HarnessResult = {
      tests: results,
      result: failed ? 'FAIL' : 'PASS',
      image: { ...this.image },
      interrupted,
      startedAt,
      endedAt: new Date(),
    };
    if (this.prerequisiteError) out.prerequisiteError = this.prerequisiteError;
    this.write(formatFinalLine(out.result, this.opts.outputDir));
    return out;
  }

  private async runAll(
    tests: readonly KolaTest[],
    dirOf: (t: KolaTest) => string,
    rerun = false,
  ): Promise<TestResult[]> {
    // A rerun gives every failed test a machine of its own.
    const planned = planUnits(tests, {
      snapshot: this.opts.snapshot === true,
      share: this.opts.share !== false && !rerun,
    });
    // Templates boot from the start; runScheduled counts them against -j while they boot and
    // starts the units restored from them first once they are ready.
    const configOf = (u: RunUnit): string => u.tests[0]?.userData ?? '';
    const templates = new Map<string, Promise<unknown>>();
    const prepared = new Set<string>();
    for (const u of planned) {
      if (!u.snapshot || prepared.has(configOf(u))) continue;
      prepared.add(configOf(u));
      const ready = this.opts.flight.prepareSnapshot?.(u.tests[0]?.userData);
      if (ready) templates.set(configOf(u), ready);
    }
    const byName = new Map<string, TestResult>();
    const runUnit = async (unit: RunUnit): Promise<void> => {
      const shared: SharedMachine | undefined = unit.tests.length > 1 ? { tests: unit.tests } : undefined;
      try {
        for (const t of unit.tests) {
          const r =
            this.opts.signal?.aborted || this.stopped
              ? notRun(t.name, this.opts.signal?.aborted ?? false)
              : await this.runTest(t, dirOf(t), { snapshot: unit.snapshot, shared });
          if (rerun) {
            r.attempts = 2;
            if (r.result === 'PASS') r.flake = true;
          }
          if (!r.notRun) for (const line of formatResultLines(r)) this.write(line);
          byName.set(t.name, r);
        }
      } finally {
        if (shared) await this.releaseShared(shared);
      }
    };
    await runScheduled(planned, {
      parallel: Math.max(1, this.opts.parallel),
      configOf,
      templates,
      run: runUnit,
    });
    return tests.map((t) => byName.get(t.name) ?? notRun(t.name, this.opts.signal?.aborted ?? false));
  }

  /** The end of a shared machine's group: its journal, then the cluster goes. */
  private async releaseShared(shared: SharedMachine): Promise<void> {
    const c = shared.cluster;
    shared.cluster = undefined;
    if (!c) return;
    if (!this.opts.signal?.aborted && this.opts.journal !== false) await this.collectJournals(c);
    await this.destroyCluster(c);
  }

  /** Run one top-level test from cluster creation to console check; resolves with its result. */
  private async runTest(
    test: KolaTest,
    dir: string,
    plan: TestPlan = { snapshot: false },
  ): Promise<TestResult> {
    const node = new TestNode(test.name, undefined);
    this.write(formatRunLine(test.name));
    node.start = performance.now();
    const timing: TestTiming = { bootMs: 0, sshMs: 0, koletMs: 0, bodyMs: 0, teardownMs: 0 };

    const target: RunTarget = { ...this.opts.target, version: this.image.versionId };
    let skipReason: string | false | null | undefined;
    try {
      skipReason = test.skip?.(target);
    } catch (err) {
      node.log(`skip function threw: ${describe(err)}`);
      node.fail();
    }
    const gate = target.version ? versionOutsideRange(target.version, test) : undefined;
    if (skipReason || gate || node.failed) {
      if (!node.failed) node.skip(skipReason || gate || '');
      return this.finish(node);
    }

    const ac = new AbortController();
    const onRunAbort = (): void => ac.abort(this.opts.signal?.reason);
    this.opts.signal?.addEventListener('abort', onRunAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error(`test ${test.name} timed out`));
    }, test.timeoutMs);

    let cluster: Cluster | undefined;
    let bootFailed = false;
    const shared = plan.shared;
    // A shared machine outlives its tests, so it answers to the group, not to one test's timeout
    // (a test that times out while it boots stops waiting for it all the same, and destroys it).
    const reused = shared?.cluster;
    const clusterPromise = reused
      ? Promise.resolve(reused)
      : this.opts.flight.newCluster({
          name: shared ? shared.tests.map((t) => t.name).join(',') : test.name,
          outputDir: dir,
          privateNetwork: test.clusterSize !== 1,
          ...(shared ? {} : { signal: ac.signal }),
        });
    // Where each machine's console stood when this test started (a shared machine's earlier
    // tests wrote the part before).
    const consoleStart = new Map<string, number>();
    let bodyStart = 0;
    const body = (async () => {
      cluster = await clusterPromise;
      const c = cluster;
      if (shared && !reused) shared.cluster = c;
      if (reused) {
        node.log(`on the machine shared with ${describeGroup(shared, test)}`);
        for (const m of c.machines) consoleStart.set(m.id, (await m.consoleOutput()).length);
      } else {
        const bootStart = performance.now();
        try {
          await Promise.all(
            Array.from({ length: test.clusterSize }, () =>
              c.newMachine(test.userData, plan.snapshot ? { snapshot: true } : {}),
            ),
          );
        } catch (err) {
          bootFailed = true;
          throw err;
        } finally {
          Object.assign(timing, bootTiming(c.machines, performance.now() - bootStart));
        }
        if (shared && c.machines.length > 0)
          node.log(`machine shared with ${describeGroup(shared, test)} (exclusive: false)`);
      }
      if (await this.gateOnVersion(test, node, c)) return;
      bodyStart = performance.now();
      const tc = this.testCluster(node, test, c, dir, ac.signal);
      try {
        await test.run(tc);
      } catch (err) {
        this.recordThrow(node, err);
      }
      await Promise.allSettled(node.pending);
      const spec = this.opts.checkSpecs?.get(test.name);
      if ((spec || test.checks !== undefined) && !node.skipped && !ac.signal.aborted) {
        await this.runCheckSubtest(test, node, c, dir, ac.signal, spec).catch((err: unknown) =>
          this.recordThrow(node, err),
        );
      }
    })();
    const aborted = new Promise<void>((resolve) => {
      if (ac.signal.aborted) resolve();
      ac.signal.addEventListener('abort', () => resolve(), { once: true });
    });

    try {
      await Promise.race([body.catch((err: unknown) => this.recordThrow(node, err)), aborted]);
    } finally {
      clearTimeout(timer);
      this.opts.signal?.removeEventListener('abort', onRunAbort);
    }
    const bodyEnd = performance.now();
    if (bodyStart > 0) timing.bodyMs = bodyEnd - bodyStart;
    if (cluster && this.kolet) {
      for (const m of cluster.machines) timing.koletMs += this.kolet.installInfo(m)?.ms ?? 0;
      // kolet's install happened inside the body; on a shared machine only the first test pays it
      if (reused) timing.koletMs = 0;
      timing.bodyMs = Math.max(0, timing.bodyMs - timing.koletMs);
    }

    if (ac.signal.aborted) {
      if (timedOut) {
        node.timedOut = true;
        node.log(`test timed out after ${formatSeconds(test.timeoutMs)}; destroying its cluster`);
      } else {
        node.interrupted = true;
        node.log('interrupted: the run was stopped');
      }
      node.fail();
    }

    // A cluster still being created when the test was abandoned is destroyed once it exists.
    if (!cluster && ac.signal.aborted) {
      void clusterPromise.then(
        (c) => (this.opts.remove === false ? undefined : c.destroy()),
        () => undefined,
      );
      if (shared) shared.cluster = undefined;
    }
    // A shared machine stays for the group's next test, unless this test may have left it in a
    // state nobody should inherit (timeout, interrupt, failed boot): then it goes, and the next
    // test gets a new one.
    const keep = shared !== undefined && cluster !== undefined && !ac.signal.aborted && !bootFailed;
    if (shared && !keep && cluster && shared.cluster === cluster) shared.cluster = undefined;
    // Not after a timeout, an interrupt or a failed boot: the machines may not answer at all.
    if (cluster && !keep && !ac.signal.aborted && !bootFailed && this.opts.journal !== false)
      await this.collectJournals(cluster);
    const consoles = keep
      ? await this.sharedConsoles(cluster!, dir, consoleStart)
      : await this.collectConsoles(cluster, dir);
    if (!node.closed) node.end = performance.now();
    timing.teardownMs = Math.max(0, performance.now() - bodyEnd);

    if (timedOut || bootFailed) {
      for (const [id, text] of consoles) {
        const tail = consoleTail(text, this.opts.consoleTailLines ?? 30);
        node.log(`console of ${id} (last ${tail.length} lines):`);
        for (const l of tail) node.log(`    ${l}`);
      }
    }
    if (!node.interrupted) {
      for (const [id, text] of consoles) {
        const matches = checkConsole(text, { skipFlags: test.flags });
        if (matches.length === 0) continue;
        node.log(`console check of ${id} found ${matches.length} problem(s):`);
        for (const m of matches) node.log(`    ${formatConsoleMatch(`${id}/console.txt`, m)}`);
        node.fail();
      }
    }
    const result = this.finish(node);
    if (cluster || bootFailed) result.timing = timing;
    return result;
  }

  /**
   * The console of a shared machine from this test's start on, checked for this test and saved
   * as its own console.txt (the machine's full console stays in the first test's directory).
   */
  private async sharedConsoles(
    cluster: Cluster,
    dir: string,
    start: ReadonlyMap<string, number>,
  ): Promise<Map<string, string>> {
    const consoles = new Map<string, string>();
    for (const m of cluster.machines) {
      const text = await withTimeout(m.consoleOutput(), 10_000).catch(() => undefined);
      if (text === undefined) continue;
      const part = text.slice(start.get(m.id) ?? 0);
      consoles.set(m.id, part);
      if (start.has(m.id)) {
        await mkdir(join(dir, m.id), { recursive: true });
        await writeFile(join(dir, m.id, 'console.txt'), part);
      }
    }
    return consoles;
  }

  /** Destroy a cluster (unless --remove=false), bounded by destroyTimeoutMs. */
  private async destroyCluster(cluster: Cluster): Promise<void> {
    if (this.opts.remove === false) {
      this.log.info(
        `keeping the machines of ${cluster.name} (--remove=false): ${cluster.machines.map((m) => `${m.id} ssh port ${m.sshPort}`).join(', ')}`,
      );
      return;
    }
    const destroyed = await withTimeout(
      cluster.destroy(),
      this.opts.destroyTimeoutMs ?? DEFAULT_DESTROY_TIMEOUT_MS,
    )
      .then(() => true)
      .catch((err: unknown) => {
        this.log.warn(`destroying the cluster of ${cluster.name} failed: ${describe(err)}`);
        return false;
      });
    if (!destroyed) this.log.warn(`cluster of ${cluster.name} may still hold machines`);
  }

  /**
   * Run the test's check spec with kolet on every machine, as the subtest `<test>/checks`: each
   * check is a line of its output; a failed check fails it (and so the test), listing the failures.
   */
  private async runCheckSubtest(
    test: KolaTest,
    node: TestNode,
    cluster: Cluster,
    dir: string,
    signal: AbortSignal,
    resolved: ResolvedCheckSpec | undefined,
  ): Promise<void> {
    // Specs are normally validated by `kola run` before booting; a Harness used as a library
    // without checkSpecs resolves them here.
    const spec = resolved
      ? Promise.resolve(resolved)
      : resolveCheckSpec(test.checks ?? '', { baseDir: checksBaseDir(test), owner: `test ${test.name}` });
    await this.runSubtest(
      test,
      node,
      'checks',
      async (c) => {
        const s = await spec;
        const agent = this.koletAgent();
        for (const m of cluster.machines) {
          const r = await agent.runChecks(m, s.text);
          for (const line of formatCheckLines(r, s.file)) c.log(line);
          const failed = failedChecks(r);
          if (failed.length > 0)
            c.errorf('%d check(s) failed on %s:\n    %s', failed.length, m.id, failed.join('\n    '));
        }
      },
      {},
      cluster,
      dir,
      signal,
    );
  }

  /** journal.txt (and journal-raw.txt.gz under journald) of every machine, beside its console.txt. */
  private async collectJournals(cluster: Cluster): Promise<void> {
    await Promise.all(
      cluster.machines.map(async (m) => {
        try {
          const files = await withTimeout(collectJournal(m, { timeoutMs: 60_000 }), 90_000);
          if (files.skipped) this.log.debug(`${m.id}: ${files.skipped}`);
        } catch (err) {
          this.log.warn(`saving the journal of ${m.id} failed: ${describe(err)}`);
        }
      }),
    );
  }

  private finish(node: TestNode): TestResult {
    if (node.end === 0) node.end = performance.now();
    node.closed = true;
    for (const c of allDescendants(node)) c.closed = true;
    return node.toResult();
  }

  /** Skip a version-gated test when the image's VERSION_ID is outside its range. */
  private async gateOnVersion(test: KolaTest, node: TestNode, cluster: Cluster): Promise<boolean> {
    const first = cluster.machines[0];
    if (first && !this.image.versionId) {
      this.probe ??= probeImageInfo(first).then(
        (info) => void Object.assign(this.image, info),
        (err: unknown) => {
          this.log.debug(`could not read os-release: ${describe(err)}`);
          this.probe = undefined;
        },
      );
      await this.probe;
    }
    if (!test.minVersion && !test.endVersion) return false;
    if (!this.image.versionId) {
      node.log(
        'image version unknown (no machine to read os-release from): minVersion/endVersion not checked',
      );
      return false;
    }
    const why = versionOutsideRange(this.image.versionId, test);
    if (why) node.skip(why);
    return why !== undefined;
  }

  private testCluster(
    node: TestNode,
    test: KolaTest,
    cluster: Cluster,
    dir: string,
    signal: AbortSignal,
  ): TestCluster {
    return new HarnessTestCluster(node, {
      test,
      cluster,
      outputDir: dir,
      signal,
      target: { ...this.opts.target, version: this.image.versionId },
      kolet: () => this.koletAgent(),
      runSubtest: (parent, name, fn, opts) => {
        const p = this.runSubtest(test, parent, name, fn, opts, cluster, dir, signal);
        // The caller awaits p (and sees the failFast sentinel); mark it handled in case it does not.
        p.catch(() => undefined);
        return p;
      },
    });
  }

  private async runSubtest(
    test: KolaTest,
    parent: TestNode,
    name: string,
    fn: (c: TestCluster) => void | Promise<void>,
    opts: SubtestOptions,
    cluster: Cluster,
    dir: string,
    signal: AbortSignal,
  ): Promise<boolean> {
    if (parent.closed || signal.aborted || parent.stopSubtests) {
      // A parallel caller usually does not await: never hand it a rejection.
      if (opts.parallel) return false;
      throwFatal();
    }
    const node = parent.child(name);
    this.write(formatRunLine(node.name));
    const exec = async (): Promise<boolean> => {
      node.start = performance.now();
      try {
        await fn(this.testCluster(node, test, cluster, dir, signal));
      } catch (err) {
        this.recordThrow(node, err);
      }
      await Promise.allSettled(node.pending);
      node.end = performance.now();
      node.closed = true;
      if (node.failed && test.failFast) parent.stopSubtests = true;
      return !node.failed;
    };
    if (opts.parallel) {
      const p = exec();
      parent.pending.push(p);
      return p;
    }
    const ok = await exec();
    // failFast: the first failing subtest stops its parent (and so the rest of the subtests).
    if (!ok && test.failFast) throwFatal();
    return ok;
  }

  /** A thrown value fails the node (sentinels were already accounted for). */
  private recordThrow(node: TestNode, err: unknown): void {
    if (isSentinel(err)) return;
    if (err instanceof MantleError && err.exitCode === 3 && !this.prerequisiteError) {
      // qemu or the image is missing: every other test would fail the same way.
      this.prerequisiteError = err;
      this.stopped = true;
    }
    node.log(`error: ${describe(err)}`);
    if (err instanceof Error && err.stack) this.log.debug(`${node.name}: ${err.stack}`);
    node.fail();
  }

  /** Console text per machine id: live machines first, then console.txt files on disk. */
  private async collectConsoles(cluster: Cluster | undefined, dir: string): Promise<Map<string, string>> {
    const consoles = new Map<string, string>();
    if (cluster) {
      for (const m of cluster.machines) {
        const text = await withTimeout(m.consoleOutput(), 10_000).catch(() => undefined);
        if (text !== undefined) consoles.set(m.id, text);
      }
      await this.destroyCluster(cluster);
    }
    // After destroy, console.txt is complete; it also covers machines that never finished booting.
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const text = await readFile(join(dir, e.name, 'console.txt'), 'utf8').catch(() => undefined);
      if (text !== undefined && text.length >= (consoles.get(e.name)?.length ?? 0))
        consoles.set(e.name, text);
    }
    return consoles;
  }
}

/** How a test's machines are made: from a snapshot or not, alone or shared with its group. */
interface TestPlan {
  snapshot: boolean;
  shared?: SharedMachine | undefined;
}

/** The machine a group of non-exclusive tests shares (booted by the first test that runs). */
interface SharedMachine {
  tests: readonly KolaTest[];
  cluster?: Cluster | undefined;
}

function describeGroup(shared: SharedMachine, test: KolaTest): string {
  const others = shared.tests.filter((t) => t !== test).map((t) => t.name);
  return others.length > 0 ? others.join(', ') : 'no other test';
}

/** Boot and SSH time of a cluster's machines: boot is the wall time without the slowest login. */
function bootTiming(
  machines: readonly Machine[],
  wallMs: number,
): Pick<TestTiming, 'bootMs' | 'sshMs' | 'restored' | 'snapshotMs'> {
  const ssh = Math.max(0, ...machines.map((m) => (m.timings ? m.timings.loginMs + m.timings.readyMs : 0)));
  const out: Pick<TestTiming, 'bootMs' | 'sshMs' | 'restored' | 'snapshotMs'> = {
    bootMs: Math.max(0, wallMs - ssh),
    sshMs: ssh,
  };
  if (machines.length > 0 && machines.every((m) => m.timings?.restored)) {
    out.restored = true;
    const wait = Math.max(0, ...machines.map((m) => m.timings?.snapshotWaitMs ?? 0));
    if (wait > 0) out.snapshotMs = wait;
  }
  return out;
}

function throwFatal(): never {
  throw new FatalSentinel();
}

function allDescendants(node: TestNode): TestNode[] {
  return node.children.flatMap((c) => [c, ...allDescendants(c)]);
}

function notRun(name: string, interrupted: boolean): TestResult {
  const r: TestResult = {
    name,
    result: 'SKIP',
    durationMs: 0,
    output: interrupted ? 'not run: the run was interrupted' : 'not run: a prerequisite is missing',
    skipReason: interrupted ? 'not run: interrupted' : 'not run: prerequisite missing',
    notRun: true,
    subtests: [],
  };
  if (interrupted) r.interrupted = true;
  return r;
}

/** Combine a failed first attempt with its rerun: a pass on rerun is a flake. */
function mergeRerun(first: TestResult, second: TestResult): TestResult {
  const merged: TestResult = {
    ...second,
    attempts: 2,
    output: [
      `first attempt failed (${formatSeconds(first.durationMs)}):`,
      first.output,
      '--- rerun:',
      second.output,
    ]
      .filter((s) => s.length > 0)
      .join('\n'),
  };
  if (second.result === 'PASS') merged.flake = true;
  return merged;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
