import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { MantleError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import {
  SshErrorCode,
  connectWithRetry,
  shellQuote,
  type SshClient,
  type SshExecOptions,
} from '@mantle/core/ssh';
import type { ExecResult, MachineExecOptions } from './types.js';

/** Where and how a machine is reached over SSH. */
export interface SshSessionOptions {
  /** the machine's id, for messages */
  machineId: string;
  host: string;
  port: number;
  privateKeyPath: string;
  /** connection attempts and the seconds each may take (kola's --ssh-retries/--ssh-timeout) */
  tries: number;
  perTryTimeoutSec: number;
  logger: Logger;
  signal?: AbortSignal | undefined;
  /** the login user (default core) */
  defaultUser?: string;
}

/**
 * The SSH side of a machine that kola reaches over the network (cloud machines): one reused
 * connection per user, root by its own login where sshd allows it and through `sudo -n` where it
 * does not (Flatcar), files copied by SFTP or a remote command, the boot id.
 */
export class SshSession {
  private readonly clients = new Map<string, Promise<SshClient>>();
  private rootViaSudo = false;
  private noSftp = false;
  private closed = false;
  readonly defaultUser: string;

  constructor(private readonly o: SshSessionOptions) {
    this.defaultUser = o.defaultUser ?? 'core';
  }

  /** Connect as the default user, retrying while the machine boots (SSH_UNREACHABLE at the end). */
  async connect(tries = this.o.tries): Promise<void> {
    await this.client(this.defaultUser, tries);
  }

  private client(user: string, tries = Math.min(this.o.tries, 10)): Promise<SshClient> {
    if (this.closed) {
      return Promise.reject(
        new OperationError({
          code: 'MACHINE_DESTROYED',
          message: `machine ${this.o.machineId} was destroyed; it runs no commands any more`,
          hint: 'use a machine before destroying its cluster',
        }),
      );
    }
    const existing = this.clients.get(user);
    if (existing)
      return existing.then(
        (c) => (c.isAlive() ? c : this.open(user, tries)),
        () => this.open(user, tries),
      );
    return this.open(user, tries);
  }

  private open(user: string, tries: number): Promise<SshClient> {
    const p = connectWithRetry({
      host: this.o.host,
      port: this.o.port,
      user,
      privateKeyPath: this.o.privateKeyPath,
      tries,
      perTryTimeoutMs: this.o.perTryTimeoutSec * 1000,
      backoff: { initialMs: 500, factor: 1.5, maxMs: 5000 },
      // a throwaway machine has a new host key on every boot: there is nothing to pin
      hostKeyPolicy: 'insecure',
      // cloud agents may install keys after sshd starts; root refused is answered by sudo
      authFailureRetries: user === 'root' ? 0 : 3,
      logger: this.o.logger,
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    });
    this.clients.set(user, p);
    p.catch(() => {
      if (this.clients.get(user) === p) this.clients.delete(user);
    });
    return p;
  }

  // root over its own login where allowed; undefined when sshd refuses root (then sudo).
  private async rootClient(): Promise<SshClient | undefined> {
    if (this.rootViaSudo) return undefined;
    try {
      return await this.client('root');
    } catch (err) {
      if (!(err instanceof MantleError && err.code === SshErrorCode.AuthFailed)) throw err;
      this.o.logger.debug(`root login refused on ${this.o.machineId}; using sudo as ${this.defaultUser}`);
      this.rootViaSudo = true;
      return undefined;
    }
  }

  /** Run a command line (as the default user, or `opts.user`; root through sudo when needed). */
  async ssh(command: string, opts: MachineExecOptions = {}): Promise<ExecResult> {
    const user = opts.user ?? this.defaultUser;
    const execOpts: SshExecOptions = {
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.onStdout ? { onStdout: opts.onStdout } : {}),
      ...(opts.onStderr ? { onStderr: opts.onStderr } : {}),
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    };
    const root = user === 'root' ? await this.rootClient() : undefined;
    const client = root ?? (await this.client(user === 'root' ? this.defaultUser : user));
    const line = user === 'root' && !root ? shellQuote(['sudo', '-n', 'sh', '-c', command]) : command;
    const r = await client.exec(line, execOpts);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: r.signal };
  }

  /** Copy bytes or a local file to the machine as root (parents made), with a mode. */
  async copyFile(source: string | Uint8Array, remotePath: string, mode = 0o644): Promise<void> {
    const root = await this.rootClient();
    if (root) {
      await root.mustExec(shellQuote(['mkdir', '-p', posix.dirname(remotePath)]));
      await this.put(root, source, remotePath, mode);
      return;
    }
    // No root login: upload as the default user, then move into place with sudo.
    const user = await this.client(this.defaultUser);
    const tmp = `/tmp/.kola-copy-${randomBytes(6).toString('hex')}`;
    await this.put(user, source, tmp, 0o600);
    const script = 'mkdir -p "$1" && chown root:root "$2" && chmod "$3" "$2" && mv -f "$2" "$4"';
    await user.mustExec(
      shellQuote([
        'sudo',
        '-n',
        'sh',
        '-c',
        script,
        'sh',
        posix.dirname(remotePath),
        tmp,
        mode.toString(8),
        remotePath,
      ]),
    );
  }

  private async put(
    client: SshClient,
    source: string | Uint8Array,
    path: string,
    mode: number,
  ): Promise<void> {
    if (!this.noSftp) {
      try {
        await client.putFile(source, path, { mode });
        return;
      } catch (err) {
        if (!(err instanceof MantleError && err.code === SshErrorCode.ChannelFailed)) throw err;
        this.noSftp = true;
      }
    }
    await client.installFile(source, path, mode);
  }

  /** /proc/sys/kernel/random/boot_id */
  async bootId(): Promise<string> {
    const r = await this.ssh('cat /proc/sys/kernel/random/boot_id', {
      timeoutMs: this.o.perTryTimeoutSec * 1000,
    });
    const id = r.stdout.trim();
    if (r.exitCode !== 0 || !id) {
      throw new OperationError({
        code: 'MACHINE_BOOT_ID',
        message: `cannot read the boot id of machine ${this.o.machineId}: ${r.stderr.trim() || `exit code ${r.exitCode}`}`,
      });
    }
    return id;
  }

  /** Forget every connection (after a reboot the old ones die silently). */
  dropClients(): void {
    for (const p of this.clients.values())
      void p.then(
        (c) => c.close(),
        () => undefined,
      );
    this.clients.clear();
  }

  /** Close every connection; later calls fail with MACHINE_DESTROYED. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(
      all.map((p) => p.then((c) => Promise.race([c.close(), new Promise<void>((r) => setTimeout(r, 2000))]))),
    );
  }
}

/**
 * Wait until the booted machine is ready, the way the qemu platform's `auto` readiness does:
 * under systemd `systemctl is-system-running --wait` must say running with no failed unit; an
 * image with a ready marker (the tiny one) must have made it and applied its Ignition config.
 */
export async function waitReady(
  s: SshSession,
  o: { machineId: string; deadline: number; timeoutMs: number; consoleTail: () => Promise<string> },
): Promise<void> {
  const kind = (
    await s.ssh(
      'if [ -d /run/systemd/system ]; then echo systemd; elif [ -e /run/mantle/ready ] || [ -d /run/mantle ]; then echo marker; else echo none; fi',
      { timeoutMs: o.timeoutMs },
    )
  ).stdout.trim();
  const notReady = async (why: string, hint: string): Promise<OperationError> => {
    const tail = await o.consoleTail();
    return new OperationError({
      code: 'MACHINE_NOT_READY',
      message: `machine ${o.machineId} ${why}${tail ? `\nlast console lines:\n${tail}` : ''}`,
      hint,
      details: { machine: o.machineId },
    });
  };
  if (kind === 'marker') {
    for (;;) {
      const r = await s.ssh(
        'test -e /run/mantle/ready || exit 3; cat /run/mantle/ignition.status 2>/dev/null; exit 0',
        {
          timeoutMs: o.timeoutMs,
        },
      );
      if (r.exitCode === 0 && r.stdout.startsWith('failed'))
        throw await notReady(
          `booted, but its Ignition config was not fully applied (${r.stdout.trim()})`,
          "the console's 'ignition: error:' lines say which part of the user data failed",
        );
      if (r.exitCode === 0) return;
      if (Date.now() > o.deadline)
        throw await notReady('answers SSH but never created /run/mantle/ready', 'look at the console');
      await new Promise((res) => setTimeout(res, 500));
    }
  }
  if (kind !== 'systemd') return;
  const state = await s.ssh('systemctl is-system-running --wait', {
    timeoutMs: Math.max(5000, o.deadline - Date.now()),
  });
  const failed = (
    await s.ssh('systemctl --failed --no-legend --plain', { timeoutMs: o.timeoutMs })
  ).stdout.trim();
  const status = state.stdout.trim();
  if (status !== 'running' || failed !== '')
    throw await notReady(
      `booted into state '${status || 'unknown'}'${failed ? `; failed units:\n${failed}` : ''}`,
      'look at the failed units in journal.txt and the console',
    );
}
