import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Cluster,
  ClusterOptions,
  ExecResult,
  Flight,
  Machine,
  MachineExecOptions,
  MachineOptions,
} from '../platform/types.js';

/**
 * An in-memory platform for harness tests: machines are objects whose "console" is a real
 * console.txt in their output dir and whose commands are answered by a handler. It implements
 * the Platform API's types, so the harness runs unchanged, but it is NOT a machine. It does not
 * model, and tests that need these boot qemu (test/qemu.test.ts, harness-qemu, systemd, snapshot):
 * - Ignition/user data: newMachine ignores it (nothing is rendered, written or applied);
 * - SSH: no connection, keys, retries or timeouts; `ssh` answers from the handler at once, and
 *   `opts.timeoutMs`, `onStdout` streaming and signals are not honoured;
 * - files: `copyFile` copies nothing (kolet uploads, check specs never reach a machine);
 * - reboots: `reboot` only bumps the boot id; the console gets no new boot and nothing restarts;
 * - the journal: `journalOutput` is empty; journal collection sees what the handler answers;
 * - networking: IPs are made up (127.0.0.1, 10.0.0.x), no machine can reach another;
 * - processes: no qemu, no PIDs, no orphans, no `--detach`/`spawn --stop` state, no snapshots;
 * - timing and resources: boots take `bootDelayMs` (0 by default), no memory or CPU limits.
 */
export interface FakeBehavior {
  /** answer a command; return undefined for the defaults (whoami, os-release, true/false, echo) */
  exec?: (
    command: string,
    m: FakeMachine,
    opts: MachineExecOptions,
  ) => Partial<ExecResult> | undefined | Promise<Partial<ExecResult> | undefined>;
  /** console text a machine prints while booting */
  bootConsole?: (m: FakeMachine) => string;
  /** how long newMachine takes */
  bootDelayMs?: number;
  /** make newMachine never resolve (until the cluster's signal aborts) */
  hangBoot?: boolean;
  /** make newMachine fail with this error (after writing the boot console) */
  bootError?: () => Error;
  /** make newCluster fail with this error */
  clusterError?: () => Error;
  osRelease?: string;
}

let seq = 0;

export class FakeMachine implements Machine {
  readonly id: string;
  readonly ip = '127.0.0.1';
  readonly sshPort: number;
  readonly privateIp: string | undefined;
  readonly outputDir: string;
  destroyed = false;
  bootCount = 1;
  readonly commands: string[] = [];

  constructor(
    private readonly cluster: FakeCluster,
    index: number,
  ) {
    seq++;
    this.id = `fake-${seq}`;
    this.sshPort = 20000 + seq;
    this.privateIp = cluster.opts.privateNetwork ? `10.0.0.${10 + index}` : undefined;
    this.outputDir = join(cluster.opts.outputDir, this.id);
    mkdirSync(this.outputDir, { recursive: true });
    writeFileSync(join(this.outputDir, 'console.txt'), '');
  }

  /** append text to this machine's console.txt */
  printConsole(text: string): void {
    appendFileSync(join(this.outputDir, 'console.txt'), text.endsWith('\n') ? text : text + '\n');
  }

  async ssh(command: string, opts: MachineExecOptions = {}): Promise<ExecResult> {
    if (this.destroyed) throw new Error(`${this.id} is destroyed`);
    this.commands.push(command);
    const custom = await this.cluster.behavior.exec?.(command, this, opts);
    if (this.destroyed) throw new Error(`${this.id} was destroyed while running ${command}`);
    if (custom) return { stdout: '', stderr: '', exitCode: 0, signal: undefined, ...custom };
    const ok = (stdout: string): ExecResult => ({ stdout, stderr: '', exitCode: 0, signal: undefined });
    if (command === 'whoami') return ok(`${opts.user ?? 'core'}\n`);
    if (command.includes('os-release'))
      return ok(
        this.cluster.behavior.osRelease ?? 'ID=fake\nVERSION_ID=1.2.3\nPRETTY_NAME="Fake OS 1.2.3"\n',
      );
    if (command === 'true') return ok('');
    if (command === 'false') return { stdout: '', stderr: 'false failed\n', exitCode: 1, signal: undefined };
    const echo = /^echo (.*)$/.exec(command);
    if (echo) return ok(`${echo[1] ?? ''}\n`);
    return { stdout: '', stderr: `fake: ${command}: not found\n`, exitCode: 127, signal: undefined };
  }

  copyFile(): Promise<void> {
    return this.destroyed ? Promise.reject(new Error(`${this.id} is destroyed`)) : Promise.resolve();
  }

  async reboot(): Promise<void> {
    this.bootCount++;
    return Promise.resolve();
  }

  bootId(): Promise<string> {
    return Promise.resolve(`boot-${this.id}-${this.bootCount}`);
  }

  consoleOutput(): Promise<string> {
    return Promise.resolve(readFileSync(join(this.outputDir, 'console.txt'), 'utf8'));
  }

  journalOutput(): Promise<string> {
    return Promise.resolve('');
  }

  destroy(): Promise<void> {
    if (!this.destroyed) this.printConsole('fake: machine powered off');
    this.destroyed = true;
    return Promise.resolve();
  }
}

export class FakeCluster implements Cluster {
  readonly machines: FakeMachine[] = [];
  /** the options each newMachine call got */
  readonly machineOptions: MachineOptions[] = [];
  destroyed = false;

  constructor(
    readonly opts: ClusterOptions,
    readonly behavior: FakeBehavior,
  ) {}

  get name(): string {
    return this.opts.name;
  }

  async newMachine(_userData?: string, opts: MachineOptions = {}): Promise<Machine> {
    if (this.destroyed) throw new Error(`cluster ${this.name} is destroyed`);
    this.machineOptions.push(opts);
    const m = new FakeMachine(this, this.machines.length);
    m.printConsole(this.behavior.bootConsole?.(m) ?? `fake: ${m.id} booting\nfake: ${m.id} ready`);
    if (this.behavior.hangBoot) {
      await new Promise<void>((_, reject) => {
        this.opts.signal?.addEventListener('abort', () => reject(new Error('boot aborted')), { once: true });
      });
    }
    if (this.behavior.bootDelayMs) await new Promise((r) => setTimeout(r, this.behavior.bootDelayMs));
    const err = this.behavior.bootError?.();
    if (err) throw err;
    this.machines.push(m);
    return m;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    await Promise.all(this.machines.map((m) => m.destroy()));
  }
}

export class FakeFlight implements Flight {
  readonly platform = 'fake';
  readonly clusters: FakeCluster[] = [];
  /** the user data of each prepareSnapshot call */
  readonly preparedSnapshots: (string | undefined)[] = [];
  destroyed = false;

  constructor(readonly behavior: FakeBehavior = {}) {}

  prepareSnapshot(userData: string | undefined): void {
    this.preparedSnapshots.push(userData);
  }

  newCluster(opts: ClusterOptions): Promise<Cluster> {
    const err = this.behavior.clusterError?.();
    if (err) return Promise.reject(err);
    mkdirSync(opts.outputDir, { recursive: true });
    const c = new FakeCluster(opts, this.behavior);
    this.clusters.push(c);
    return Promise.resolve(c);
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    await Promise.all(this.clusters.map((c) => c.destroy()));
  }
}
