import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import { format } from 'node:util';
import { MantleError } from '@mantle/core/errors';
import type { MachineCheckResult, KoletAgent } from '../kolet/agent.js';
import { checksBaseDir, failedChecks, formatCheckLines, resolveCheckSpec } from '../kolet/check-spec.js';
import type { Cluster, ExecResult, Machine, MachineExecOptions } from '../platform/types.js';
import { FatalSentinel, SkipSentinel } from './sentinels.js';
import type { TestNode } from './test-node.js';
import type { CheckSpecSource, KolaTest, RunTarget, SubtestOptions, TestCluster } from '../types.js';

/** What the harness lends a TestCluster: the cluster, run data and the subtest runner. */
export interface TestClusterContext {
  test: KolaTest;
  cluster: Cluster;
  outputDir: string;
  signal: AbortSignal;
  target: RunTarget;
  /** kolet for runNative and runChecks (throws PrerequisiteError when it is not built) */
  kolet: () => KoletAgent;
  runSubtest: (
    parent: TestNode,
    name: string,
    fn: (c: TestCluster) => void | Promise<void>,
    opts: SubtestOptions,
  ) => Promise<boolean>;
}

/** The TestCluster given to test bodies; one per test or subtest node. */
export class HarnessTestCluster implements TestCluster {
  constructor(
    private readonly node: TestNode,
    private readonly ctx: TestClusterContext,
  ) {}

  get name(): string {
    return this.node.name;
  }
  get machines(): readonly Machine[] {
    return this.ctx.cluster.machines;
  }
  get outputDir(): string {
    return this.ctx.outputDir;
  }
  get signal(): AbortSignal {
    return this.ctx.signal;
  }
  get target(): RunTarget {
    return this.ctx.target;
  }

  async ssh(machine: Machine, command: string, opts: MachineExecOptions = {}): Promise<ExecResult> {
    this.checkAlive();
    const user = opts.user ?? (this.ctx.test.defaultUser !== 'core' ? this.ctx.test.defaultUser : undefined);
    return machine.ssh(command, user === undefined ? opts : { ...opts, user });
  }

  async mustSsh(machine: Machine, command: string, opts: MachineExecOptions = {}): Promise<string> {
    let r: ExecResult;
    try {
      r = await this.ssh(machine, command, opts);
    } catch (err) {
      if (err instanceof FatalSentinel || err instanceof SkipSentinel) throw err;
      return this.fatalf('%s on %s: ssh failed: %s', JSON.stringify(command), machine.id, describe(err));
    }
    if (r.exitCode !== 0) {
      const why = r.signal ? `was killed by ${r.signal}` : `exited ${r.exitCode}`;
      return this.fatalf(
        '%s on %s %s: %s',
        JSON.stringify(command),
        machine.id,
        why,
        r.stderr.trim() || '(no stderr)',
      );
    }
    return r.stdout.trim();
  }

  async runNative(funcName: string, machine: Machine): Promise<string> {
    this.checkAlive();
    const test = this.ctx.test;
    if (!Object.hasOwn(test.nativeFuncs, funcName))
      this.fatalf('runNative: test %s has no native function %s', test.name, JSON.stringify(funcName));
    const agent = this.ctx.kolet();
    const builtIn = test.source === 'built-in';
    if (builtIn && !agent.bundles(test.name)) {
      this.fatalf(
        'runNative %s: the kolet executable (%s) was built without the native functions of %s; rebuild it with `pnpm --filter @mantle/kola build`',
        funcName,
        agent.artifacts.versionLine,
        test.name,
      );
    }
    const r = await agent.runNative({
      machine,
      test: test.name,
      func: funcName,
      module: builtIn ? undefined : test.source,
      onReboot: (mark, n) =>
        this.logf('native %s on %s asked for reboot %d (mark %s)', funcName, machine.id, n, mark),
    });
    this.checkAlive();
    this.logf(
      'native %s on %s: %s%s',
      funcName,
      machine.id,
      r.status.toUpperCase(),
      r.reboots ? ` after ${r.reboots} reboot(s)` : '',
    );
    for (const [label, text] of [
      ['stdout', r.stdout],
      ['stderr', r.stderr],
    ] as const) {
      const t = text.replace(/\n$/, '');
      if (t) this.log(`  ${label}:\n${t.replace(/^/gm, '    ')}`);
    }
    if (r.status === 'skip') this.skip(`native function ${funcName} skipped: ${r.message}`);
    if (r.status === 'fail')
      this.fatalf('native function %s failed on %s: %s', funcName, machine.id, r.message);
    return r.stdout;
  }

  async runChecks(machine: Machine, spec: CheckSpecSource): Promise<MachineCheckResult> {
    this.checkAlive();
    const s = await resolveCheckSpec(spec, {
      baseDir: checksBaseDir(this.ctx.test),
      owner: `test ${this.ctx.test.name}`,
    });
    const r = await this.ctx.kolet().runChecks(machine, s.text);
    this.checkAlive();
    for (const line of formatCheckLines(r, s.file)) this.log(line);
    const failed = failedChecks(r);
    if (failed.length > 0) this.logf('%d check(s) failed on %s', failed.length, machine.id);
    return r;
  }

  async dropFile(localPath: string): Promise<void> {
    const mode = (await stat(localPath)).mode & 0o777;
    // A relative remote path lands in the login user's home directory.
    await Promise.all(this.machines.map((m) => m.copyFile(localPath, basename(localPath), mode)));
  }

  async assertCmdOutputContains(machine: Machine, command: string, text: string): Promise<void> {
    const out = await this.mustSsh(machine, command);
    if (!out.includes(text))
      this.fatalf(
        '%s on %s: output does not contain %s; got: %s',
        JSON.stringify(command),
        machine.id,
        JSON.stringify(text),
        out,
      );
  }

  newMachine(userData?: string): Promise<Machine> {
    this.checkAlive();
    return this.ctx.cluster.newMachine(userData);
  }

  run(
    name: string,
    fn: (c: TestCluster) => void | Promise<void>,
    opts: SubtestOptions = {},
  ): Promise<boolean> {
    return this.ctx.runSubtest(this.node, name, fn, opts);
  }

  log(...args: unknown[]): void {
    this.node.log(args.map(String).join(' '));
  }
  logf(fmt: string, ...args: unknown[]): void {
    this.node.log(format(fmt, ...args));
  }
  error(...args: unknown[]): void {
    this.log(...args);
    this.node.fail();
  }
  errorf(fmt: string, ...args: unknown[]): void {
    this.logf(fmt, ...args);
    this.node.fail();
  }
  fatal(...args: unknown[]): never {
    this.error(...args);
    throw new FatalSentinel();
  }
  fatalf(fmt: string, ...args: unknown[]): never {
    this.errorf(fmt, ...args);
    throw new FatalSentinel();
  }
  skip(reason: string): never {
    this.node.skip(reason);
    throw new SkipSentinel();
  }
  failed(): boolean {
    return this.node.failed;
  }

  /** Once the harness gave up on the test (timeout, interrupt), stop the body at its next call. */
  private checkAlive(): void {
    if (this.ctx.signal.aborted || this.node.closed) throw new FatalSentinel();
  }
}

/** A one-line description of an error, with a MantleError's hint. */
export function describe(err: unknown): string {
  if (err instanceof MantleError) return err.hint ? `${err.message} (${err.hint})` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
