import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError, MantleError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { SshErrorCode } from '@mantle/core/ssh';
import { machineIgnition } from '../qemu/kola-ignition.js';
import { SshSession, waitReady } from '../ssh-session.js';
import type { ExecResult, Machine, MachineExecOptions } from '../types.js';
import type { CloudProvider } from './provider.js';
import type { RunJournal } from './run-journal.js';

/** What every machine of a cloud flight shares. */
export interface CloudFlightContext {
  provider: CloudProvider;
  journal: RunJournal;
  logger: Logger;
  privateKeyPath: string;
  publicKeys: readonly string[];
  sshRetries: number;
  sshTimeoutSec: number;
  tags: Record<string, string>;
  env: NodeJS.ProcessEnv;
  /** an error that stops every later create (a quota error: retrying only makes more failing calls) */
  fatal: MantleError | undefined;
  /** every instance id the flight created, for the teardown to wait on */
  instanceIds: Set<string>;
}

/**
 * The test hook by which a local stand-in for a cloud API tells kola where an instance's SSH
 * really listens: with KOLA_SSH_PORT_TAG=NAME the port is read from the instance's tag NAME
 * (the address stays the instance's public IP). Clouds never set such a tag; unset, it is 22.
 */
const SSH_PORT_TAG_ENV = 'KOLA_SSH_PORT_TAG';

const CONSOLE_TAIL_LINES = 30;

/** A cloud instance as a kola Machine: created, reached over SSH, its console saved, deleted. */
export class CloudMachine implements Machine {
  readonly outputDir: string;
  private instanceId: string | undefined;
  private address = '';
  private port = 22;
  private lanIp: string | undefined;
  private session: SshSession | undefined;
  private destroying: Promise<void> | undefined;
  private lastConsole = '';
  private readonly log: Logger;

  constructor(
    readonly id: string,
    private readonly flight: CloudFlightContext,
    private readonly cluster: {
      name: string;
      /** unique within the run (a rerun of a test is another cluster) */
      tag: string;
      outputDir: string;
      signal: AbortSignal | undefined;
    },
  ) {
    this.outputDir = join(cluster.outputDir, id);
    this.log = flight.logger.child(id);
  }

  get ip(): string {
    return this.address;
  }

  get sshPort(): number {
    return this.port;
  }

  get privateIp(): string | undefined {
    return this.lanIp;
  }

  /** the cloud's id of the instance (undefined before it was created) */
  get cloudId(): string | undefined {
    return this.instanceId;
  }

  /** Create the instance, wait until it runs and answers SSH, check readiness. */
  async boot(userData: string | undefined, ignitionOverride: string | undefined): Promise<void> {
    const f = this.flight;
    if (f.fatal) throw f.fatal;
    await mkdir(this.outputDir, { recursive: true });
    const ign = machineIgnition(ignitionOverride ?? userData, { publicKeys: f.publicKeys });
    for (const w of ign.warnings) this.log.warn(`user data: ${w}`);
    await writeFile(join(this.outputDir, 'ignition.json'), ign.json, { mode: 0o600 });
    this.throwIfStopped();

    const started = Date.now();
    try {
      this.instanceId = await f.journal.track('instance', this.id, () =>
        f.provider.createInstance({
          journal: f.journal,
          name: this.id,
          cluster: this.cluster.tag,
          userData: ign.json,
          tags: { ...f.tags, Name: this.id, KolaCluster: this.cluster.tag },
        }),
      );
    } catch (err) {
      if (err instanceof MantleError && err.exitCode === 3) f.fatal ??= err;
      throw err;
    }
    f.instanceIds.add(this.instanceId);
    await writeFile(
      join(this.outputDir, 'instance.json'),
      JSON.stringify({ platform: f.provider.platform, id: this.instanceId, name: this.id }, null, 2) + '\n',
    );
    this.log.debug(`created ${this.instanceId}`);
    const running = await f.provider.waitRunning(this.instanceId, this.cluster.signal);
    this.address = running.publicIp ?? running.privateIp ?? '';
    this.lanIp = running.privateIp;
    const portTag = f.env[SSH_PORT_TAG_ENV];
    if (portTag && running.tags[portTag]) this.port = Number(running.tags[portTag]);
    if (!this.address) {
      throw new OperationError({
        code: 'CLOUD_NO_ADDRESS',
        message: `instance ${this.instanceId} (${this.id}) runs but has neither a public nor a private IP address`,
        hint: 'give the machines a subnet that assigns public addresses, or run kola inside the network',
      });
    }
    this.log.debug(`${this.instanceId} runs at ${this.address}:${this.port} (private ${this.lanIp ?? '-'})`);

    this.session = new SshSession({
      machineId: this.id,
      host: this.address,
      port: this.port,
      privateKeyPath: f.privateKeyPath,
      tries: f.sshRetries,
      perTryTimeoutSec: f.sshTimeoutSec,
      logger: this.log,
      signal: this.cluster.signal,
    });
    const deadline = started + f.sshRetries * f.sshTimeoutSec * 1000;
    try {
      await this.session.connect();
    } catch (err) {
      if (!(err instanceof MantleError) || err instanceof InterruptedError) throw err;
      throw new OperationError({
        code: 'CLOUD_SSH_TIMEOUT',
        message: `machine ${this.id} (${this.instanceId}) did not answer SSH on ${this.address}:${this.port} after ${f.sshRetries} tries of ${f.sshTimeoutSec} s (${err.message})${await this.consoleSuffix()}`,
        hint: 'the console shows how far it booted; check that the image reads its user data from this cloud, the security group/firewall lets SSH in, and raise --ssh-retries/--ssh-timeout for slow boots',
        cause: err,
        details: { machine: this.id, instance: this.instanceId, address: this.address, port: this.port },
      });
    }
    await waitReady(this.session, {
      machineId: this.id,
      deadline,
      timeoutMs: f.sshTimeoutSec * 1000,
      consoleTail: () => this.consoleTail(),
    });
    this.log.debug(`ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  private throwIfStopped(): void {
    if (this.cluster.signal?.aborted) throw new InterruptedError('abort signal');
    if (this.destroying) throw new InterruptedError(`machine ${this.id} was destroyed while booting`);
  }

  private sessionOrThrow(): SshSession {
    if (!this.session || this.destroying) {
      throw new OperationError({
        code: 'MACHINE_DESTROYED',
        message: `machine ${this.id} is not up; it runs no commands`,
        hint: 'use a machine after newMachine resolved and before its cluster is destroyed',
      });
    }
    return this.session;
  }

  ssh(command: string, opts?: MachineExecOptions): Promise<ExecResult> {
    return this.sessionOrThrow().ssh(command, opts);
  }

  copyFile(source: string | Uint8Array, remotePath: string, mode?: number): Promise<void> {
    return this.sessionOrThrow().copyFile(source, remotePath, mode);
  }

  bootId(): Promise<string> {
    return this.sessionOrThrow().bootId();
  }

  async reboot(): Promise<void> {
    const s = this.sessionOrThrow();
    const before = await s.bootId();
    this.log.debug('rebooting');
    await s.ssh('reboot', { user: 'root', timeoutMs: 10_000 }).catch((err: unknown) => {
      if (!(
        err instanceof MantleError &&
        (err.code === SshErrorCode.ConnectionLost || err.code === SshErrorCode.ExecTimeout)
      ))
        throw err;
    });
    s.dropClients();
    const f = this.flight;
    const deadline = Date.now() + f.sshRetries * f.sshTimeoutSec * 1000;
    for (;;) {
      if (this.cluster.signal?.aborted) throw new InterruptedError('abort signal');
      await new Promise((r) => setTimeout(r, 1000));
      // the old system's sshd may still answer: only a new boot id means the reboot happened
      const after = await s
        .connect(3)
        .then(() => s.bootId())
        .catch(() => before);
      if (after !== before) break;
      s.dropClients();
      if (Date.now() > deadline) {
        throw new OperationError({
          code: 'CLOUD_REBOOT_FAILED',
          message: `machine ${this.id} did not come back with a new boot id within ${f.sshRetries * f.sshTimeoutSec} s of 'reboot'${await this.consoleSuffix()}`,
          hint: 'the console shows what happened',
        });
      }
    }
    await waitReady(s, {
      machineId: this.id,
      deadline,
      timeoutMs: f.sshTimeoutSec * 1000,
      consoleTail: () => this.consoleTail(),
    });
  }

  /** The console as the cloud has it now, saved as console.txt (the cloud's copy lags behind). */
  async consoleOutput(): Promise<string> {
    if (this.instanceId) {
      const text = await this.flight.provider.consoleOutput(this.instanceId).catch((err: unknown) => {
        this.log.debug(`reading the console failed: ${String(err)}`);
        return '';
      });
      if (text.length >= this.lastConsole.length) {
        this.lastConsole = text;
        await writeFile(join(this.outputDir, 'console.txt'), text).catch(() => undefined);
      }
    }
    return this.lastConsole || (await readFile(join(this.outputDir, 'console.txt'), 'utf8').catch(() => ''));
  }

  private async consoleTail(): Promise<string> {
    const text = await this.consoleOutput();
    return text
      .replace(/\r/g, '')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-CONSOLE_TAIL_LINES)
      .join('\n');
  }

  private async consoleSuffix(): Promise<string> {
    const tail = await this.consoleTail();
    return tail
      ? `\nlast console lines (${join(this.outputDir, 'console.txt')}):\n${tail}`
      : '\nthe cloud has no console output for it yet';
  }

  async journalOutput(): Promise<string> {
    const r = await this.ssh(
      'command -v journalctl >/dev/null 2>&1 && journalctl -o short-monotonic --no-pager -b',
      {
        user: 'root',
        timeoutMs: 120_000,
      },
    );
    return r.exitCode === 0 ? r.stdout : '';
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    await this.session?.close();
    const id = this.instanceId;
    if (!id) return;
    // The last look at the console: after the delete the cloud forgets it.
    await Promise.race([this.consoleOutput(), new Promise((r) => setTimeout(r, 15_000))]);
    await this.flight.provider.deleteInstance(id);
    await this.flight.journal.deleted('instance', this.id, id);
    this.log.debug(`deleted ${id}`);
  }
}

/** A cluster (test) name as a tag/label value: lowercase letters, digits and dashes, ≤ 63. */
export function clusterTag(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'cluster'
  );
}
