import type { Readable } from 'node:stream';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { InterruptedError, type MantleError } from '../errors/mantle-error.js';
import { tailLines } from '../exec/exec-error.js';
import type { Logger } from '../log/logger.js';
import { SshErrorCode, sshOperationError, sshTarget } from './errors.js';
import { startLocalForward, type LocalForward, type LocalForwardOptions } from './forward.js';
import { runInteractiveShell, type ShellOptions } from './shell.js';
import {
  installOverExec,
  sftpGet,
  sftpPut,
  type GetFileOptions,
  type InstallFileOptions,
  type PutFileOptions,
  type TransferResult,
} from './transfer.js';
import type { SshCloseInfo, SshConnectionInfo, SshExecOptions, SshExecResult } from './types.js';
import { errorMessage } from '../errors/message.js';

// Commands can be long; messages name them, but only their start.
const MAX_COMMAND_IN_MESSAGE = 200;
// How long a refused session channel is retried: OpenSSH frees the slot of a closed channel only
// once it reaped it, which a loaded host may take seconds to do; a server that refuses sessions
// outright (MaxSessions 0, shutting down) fails after this.
const REFUSED_PATIENCE_MS = 10_000;

/** Shorten a command line for error messages. */
function describeCommand(command: string): string {
  const oneLine = command.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_COMMAND_IN_MESSAGE ? `${oneLine.slice(0, MAX_COMMAND_IN_MESSAGE)}…` : oneLine;
}

/**
 * One SSH connection, reused for many channels (commands, SFTP, forwards, shells). Made by
 * `connectWithRetry`. When the connection drops, everything pending rejects with
 * SSH_CONNECTION_LOST instead of hanging.
 */
export class SshClient {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly hostKeyFingerprint: string | undefined;
  /** the server's host key (base64 of its wire blob, the second field of a known_hosts line) */
  readonly hostKey: string | undefined;
  readonly attempts: number;
  /** `user@host:port`, for messages */
  readonly target: string;

  private readonly conn: Client;
  private readonly logger: Logger;
  private closed = false;
  private intentional = false;
  private endError: Error | undefined;
  private readonly pending = new Set<(err: MantleError) => void>();
  private readonly closeListeners = new Set<(info: SshCloseInfo) => void>();
  private readonly forwards = new Set<LocalForward>();
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private installMethod: Promise<'install' | 'cat'> | undefined;
  private readonly closedPromise: Promise<void>;
  private maxSessions: number;
  private sessionsOpen = 0;
  private readonly sessionQueue: (() => void)[] = [];

  /** Wrap a connected, authenticated ssh2 Client (use `connectWithRetry` rather than this). */
  constructor(conn: Client, info: SshConnectionInfo) {
    this.conn = conn;
    this.host = info.host;
    this.port = info.port;
    this.user = info.user;
    this.hostKeyFingerprint = info.hostKeyFingerprint;
    this.hostKey = info.hostKey;
    this.attempts = info.attempts;
    this.logger = info.logger;
    this.target = sshTarget(info);
    this.maxSessions = Math.max(1, info.maxSessions ?? 10);
    // An 'error' without a listener would crash the process; remember it as the reason instead.
    conn.on('error', (err: Error) => {
      this.endError ??= err;
      this.logger.debug(`connection to ${this.target}: ${err.message}`);
    });
    this.closedPromise = new Promise((resolve) => {
      conn.once('close', () => {
        this.onConnectionClosed();
        resolve();
      });
    });
  }

  /** Whether the connection is still up (false once it dropped or was closed). */
  isAlive(): boolean {
    return !this.closed;
  }

  /** Call `fn` once when the connection ends, for whatever reason; returns an unsubscribe function. */
  onClose(fn: (info: SshCloseInfo) => void): () => void {
    if (this.closed) {
      queueMicrotask(() => fn({ intentional: this.intentional, error: this.endError }));
      return () => undefined;
    }
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** Run a shell command line on the remote host (build it with `shellQuote`) and collect its output. */
  exec(command: string, opts: SshExecOptions = {}): Promise<SshExecResult> {
    const what = `running '${describeCommand(command)}'`;
    if (this.closed) return Promise.reject(this.lostError(what));
    if (opts.signal?.aborted) return Promise.reject(new InterruptedError('abort signal'));
    return new Promise<SshExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let channel: ClientChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;

      const settle = (error: Error | undefined, result?: SshExecResult): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.pending.delete(onLost);
        opts.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(result as SshExecResult);
      };
      const onLost = (e: MantleError): void => settle(e);
      const onAbort = (): void => {
        if (channel) this.killChannel(channel);
        settle(new InterruptedError('abort signal'));
      };
      this.pending.add(onLost);
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const execOpts = opts.pty ? { pty: opts.pty === true ? {} : opts.pty } : {};
      this.openSessionChannel<ClientChannel>(what, (cb) =>
        this.conn.exec(command, execOpts, (e, ch) => cb(e ?? undefined, ch)),
      ).then(
        (ch) => {
          if (settled) {
            // timed out, aborted or lost while waiting for a session slot or the channel
            ch.close();
            return;
          }
          channel = ch;
          if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
            const ms = opts.timeoutMs;
            timer = setTimeout(() => {
              this.killChannel(ch);
              settle(this.timeoutError(command, ms, out, err));
            }, ms);
          }
          this.collect(ch, what, out, err, opts, settle);
        },
        (e: unknown) => settle(e as Error),
      );
    });
  }

  // Gather an exec channel's output and exit status; settle once the channel and stderr are done.
  private collect(
    ch: ClientChannel,
    what: string,
    out: Buffer[],
    err: Buffer[],
    opts: SshExecOptions,
    settle: (error: Error | undefined, result?: SshExecResult) => void,
  ): void {
    let exitCode: number | undefined;
    let exitSignal: string | undefined;
    let closed = false;
    let stderrEnded = false;
    const maybeDone = (): void => {
      if (!closed || !stderrEnded) return;
      if (exitCode === undefined && exitSignal === undefined) {
        // No exit status: the connection went away under the command (its 'close' fires before the
        // channel's, so this.closed is already set) or the server dropped the channel.
        settle(
          this.closed
            ? this.lostError(what)
            : sshOperationError(
                SshErrorCode.ConnectionLost,
                `${this.target} closed the channel ${what} without an exit status`,
                {
                  hint: 'the remote command or sshd may have crashed; look at the machine journal',
                },
              ),
        );
        return;
      }
      settle(undefined, {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: exitCode ?? -1,
        signal: exitSignal,
      });
    };
    ch.on('data', (chunk: Buffer) => {
      out.push(chunk);
      opts.onStdout?.(chunk);
    });
    ch.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      opts.onStderr?.(chunk);
    });
    ch.stderr.once('end', () => {
      stderrEnded = true;
      maybeDone();
    });
    ch.on('error', (e: Error) => settle(this.closed ? this.lostError(what, e) : this.channelError(what, e)));
    // The exit status comes with 'close' (ssh2 keeps it), not from an 'exit' listener: ssh2 parses a
    // whole TCP read at once, so 'exit' can fire before this code runs; 'close' waits until we have
    // read the output.
    ch.once('close', (code?: number | null, sig?: string) => {
      if (typeof code === 'number') exitCode = code;
      else if (code === null) exitSignal = sig ?? 'SIGKILL';
      closed = true;
      maybeDone();
    });
    feedStdin(ch, opts.stdin).catch((e: unknown) => {
      this.killChannel(ch);
      settle(
        sshOperationError(
          SshErrorCode.ChannelFailed,
          `cannot feed stdin ${what} on ${this.target}: ${errorMessage(e)}`,
          {
            cause: e,
          },
        ),
      );
    });
  }

  private timeoutError(command: string, ms: number, out: Buffer[], err: Buffer[]): MantleError {
    return sshOperationError(
      SshErrorCode.ExecTimeout,
      `'${describeCommand(command)}' on ${this.target} ran longer than ${ms} ms; its channel was closed`,
      {
        hint: 'raise timeoutMs if the command is legitimately slow, or look at why it hangs',
        details: {
          command,
          target: this.target,
          timeoutMs: ms,
          stdoutTail: tailLines(Buffer.concat(out).toString('utf8'), 20),
          stderrTail: tailLines(Buffer.concat(err).toString('utf8'), 20),
        },
      },
    );
  }

  /**
   * Stop a remote command: send a KILL signal request, then close the channel. OpenSSH honours the
   * signal for non-root users only (root sessions skip the privilege-separated child that signals;
   * sshd logs "session signalling requires privilege separation"); closing the channel hangs up a
   * pty session. ssh2's `channel.signal()` silently does nothing once stdin got EOF, so the request
   * goes through ssh2's protocol object (internal, hence guarded).
   */
  private killChannel(ch: ClientChannel): void {
    try {
      const proto = (this.conn as unknown as { _protocol?: { signal?: (id: number, sig: string) => void } })
        ._protocol;
      const id = (ch as unknown as { outgoing?: { id?: number; state?: string } }).outgoing;
      if (proto?.signal && id?.id !== undefined && (id.state === 'open' || id.state === 'eof'))
        proto.signal(id.id, 'KILL');
    } catch {
      // best effort: the channel close below still ends our side
    }
    ch.close();
  }

  /** Like `exec`, but a non-zero exit or signal throws SSH_EXEC_FAILED with the stderr tail. */
  async mustExec(command: string, opts: SshExecOptions = {}): Promise<SshExecResult> {
    const r = await this.exec(command, opts);
    if (r.exitCode !== 0 || r.signal) {
      const tail = tailLines(r.stderr, 20);
      const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
      throw sshOperationError(
        SshErrorCode.ExecFailed,
        `'${describeCommand(command)}' on ${this.target} ${how}${tail ? `:\n${tail}` : ''}`,
        {
          details: { command, target: this.target, exitCode: r.exitCode, signal: r.signal, stderrTail: tail },
        },
      );
    }
    return r;
  }

  /** Copy a local file, bytes or a stream to `remotePath` over SFTP (atomically: temp + rename). */
  async putFile(
    source: string | Uint8Array | Readable,
    remotePath: string,
    opts: PutFileOptions = {},
  ): Promise<TransferResult> {
    const what = `copying to ${remotePath}`;
    const sftp = await this.guard(what, this.sftp(what));
    return this.guard(what, sftpPut(sftp, source, remotePath, opts, this.target));
  }

  /** Copy `remotePath` to `localPath` over SFTP (atomically; the remote permission bits are kept). */
  async getFile(remotePath: string, localPath: string, opts: GetFileOptions = {}): Promise<TransferResult> {
    const what = `copying ${remotePath}`;
    const sftp = await this.guard(what, this.sftp(what));
    return this.guard(what, sftpGet(sftp, remotePath, localPath, opts, this.target));
  }

  /**
   * Write bytes, a local file or a stream to `remotePath` with `mode` through a remote command,
   * for hosts without SFTP: GNU `install -m MODE /dev/stdin PATH`, or `cat` + `chmod` + `mv`.
   */
  async installFile(
    source: string | Uint8Array | Readable,
    remotePath: string,
    mode: number,
    opts: InstallFileOptions = {},
  ): Promise<TransferResult> {
    let method = opts.method ?? 'auto';
    if (method === 'auto') {
      if (!this.installMethod) {
        const probe = this.probeInstallMethod();
        this.installMethod = probe;
        // a failed probe (e.g. a dropped connection) must not stick to this client
        probe.catch(() => {
          if (this.installMethod === probe) this.installMethod = undefined;
        });
      }
      method = await this.installMethod;
    }
    return installOverExec(
      (cmd, o) => this.exec(cmd, o),
      source,
      remotePath,
      mode,
      method,
      opts,
      this.target,
    );
  }

  /** Listen on a local port and tunnel each connection to `remoteHost:remotePort` as seen from the server. */
  async forwardLocal(opts: LocalForwardOptions): Promise<LocalForward> {
    if (this.closed) throw this.lostError(`forwarding to ${opts.remoteHost}:${opts.remotePort}`);
    const fwd = await startLocalForward(this.conn, opts, this.logger, this.target);
    const tracked: LocalForward = {
      ...fwd,
      close: async () => {
        this.forwards.delete(tracked);
        await fwd.close();
      },
    };
    this.forwards.add(tracked);
    return tracked;
  }

  /**
   * An interactive login shell on a pty wired to the given streams (process stdio by default):
   * raw mode when stdin is a TTY, window size followed. Resolves with the shell's exit code.
   */
  shell(opts: ShellOptions = {}): Promise<number> {
    const what = 'running an interactive shell';
    if (this.closed) return Promise.reject(this.lostError(what));
    const run = runInteractiveShell(
      (window) =>
        this.openSessionChannel<ClientChannel>(what, (cb) =>
          this.conn.shell(window, (e, ch) => cb(e ?? undefined, ch)),
        ),
      opts,
      this.target,
    );
    return this.guard(what, run);
  }

  /** Close the connection cleanly (forwards, SFTP, channels); pending work rejects with SSH_CONNECTION_LOST. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.intentional = true;
    await Promise.allSettled([...this.forwards].map((f) => f.close()));
    this.conn.end();
    const timer = setTimeout(() => this.conn.destroy(), 2000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  // --- internals -----------------------------------------------------------------------------

  // OpenSSH allows MaxSessions (default 10) session channels per connection and refuses more, so
  // extra commands wait for a free slot instead of failing.
  private acquireSession(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.sessionsOpen++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.sessionsOpen--;
          this.sessionQueue.shift()?.();
        });
      };
      if (this.sessionsOpen < this.maxSessions) grant();
      else this.sessionQueue.push(grant);
    });
  }

  // Open a session channel (exec, shell, sftp) holding a slot until it closes. OpenSSH frees a
  // session only after it processed our CLOSE and reaped the channel, so an OPEN sent right after a
  // CLOSE can be refused although we are under MaxSessions: retry shortly. That holds even when no
  // other channel of ours is open any more (the ones just closed are not reaped yet: on a loaded
  // host that takes a while), so a refusal is retried for REFUSED_PATIENCE_MS whatever the count.
  // Refused again and again while others are open means the server's limit is lower than ours:
  // lower ours.
  private async openSessionChannel<T extends NodeJS.EventEmitter>(
    what: string,
    open: (cb: (err: Error | undefined, ch: T) => void) => void,
  ): Promise<T> {
    let firstRefusal: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const release = await this.acquireSession();
      if (this.closed) {
        release();
        throw this.lostError(what);
      }
      try {
        const ch = await new Promise<T>((resolve, reject) => {
          try {
            open((err, ch) => (err ? reject(err) : resolve(ch)));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
        ch.once('close', release);
        return ch;
      } catch (err) {
        const others = this.sessionsOpen - 1;
        release();
        if (this.closed) throw this.lostError(what, err);
        const refused = typeof (err as { reason?: unknown }).reason === 'number';
        firstRefusal ??= Date.now();
        if (!refused || Date.now() - firstRefusal > REFUSED_PATIENCE_MS)
          throw this.channelError(what, err as Error);
        if (attempt % 8 === 0 && others > 0 && others < this.maxSessions) {
          this.maxSessions = others;
          this.logger.debug(
            `${this.target} keeps refusing session ${others + 1}; limiting to ${others} at once`,
          );
        }
        await new Promise((r) => setTimeout(r, Math.min(5 * attempt, 50)));
      }
    }
  }

  private onConnectionClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.sftpSession = undefined;
    if (!this.intentional)
      this.logger.debug(
        `connection to ${this.target} closed${this.endError ? `: ${this.endError.message}` : ''}`,
      );
    for (const reject of [...this.pending]) reject(this.lostError('waiting'));
    this.pending.clear();
    for (const f of [...this.forwards]) void f.close();
    const info: SshCloseInfo = { intentional: this.intentional, error: this.endError };
    for (const fn of [...this.closeListeners]) {
      try {
        fn(info);
      } catch (e) {
        this.logger.warn(`onClose listener failed: ${errorMessage(e)}`);
      }
    }
    this.closeListeners.clear();
  }

  private lostError(what: string, cause?: unknown): MantleError {
    if (this.intentional) {
      return sshOperationError(
        SshErrorCode.ConnectionLost,
        `connection to ${this.target} was closed by close() while ${what}`,
        {
          hint: 'do not close the client while work is pending',
          cause,
        },
      );
    }
    const why = this.endError ? ` (${this.endError.message})` : '';
    return sshOperationError(
      SshErrorCode.ConnectionLost,
      `connection to ${this.target} was lost while ${what}${why}`,
      {
        hint: 'the machine may have rebooted, crashed or stopped sshd; reconnect with connectWithRetry',
        cause: cause ?? this.endError,
        details: { target: this.target },
      },
    );
  }

  private channelError(what: string, cause: Error): MantleError {
    return sshOperationError(
      SshErrorCode.ChannelFailed,
      `${this.target} refused a channel for ${what}: ${cause.message}`,
      {
        hint: 'the server may limit sessions per connection (MaxSessions) or be shutting down',
        cause,
      },
    );
  }

  // Race an operation against the connection dropping, so it rejects instead of hanging.
  private guard<T>(what: string, op: Promise<T>): Promise<T> {
    if (this.closed) {
      op.catch(() => undefined);
      return Promise.reject(this.lostError(what));
    }
    return new Promise<T>((resolve, reject) => {
      const onLost = (e: MantleError): void => {
        this.pending.delete(onLost);
        reject(this.lostError(what, e));
      };
      this.pending.add(onLost);
      op.then(
        (v) => {
          this.pending.delete(onLost);
          resolve(v);
        },
        (e: unknown) => {
          this.pending.delete(onLost);
          reject(this.closed ? this.lostError(what, e) : (e as Error));
        },
      );
    });
  }

  // One SFTP session per connection, opened on first use and reused.
  private sftp(what: string): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      const p = this.openSessionChannel<SFTPWrapper>(what, (cb) =>
        this.conn.sftp((err, sftp) => cb(err ?? undefined, sftp)),
      ).then(
        (sftp) => {
          sftp.on('close', () => {
            if (this.sftpSession === p) this.sftpSession = undefined;
          });
          sftp.on('error', (e: Error) => this.logger.debug(`sftp on ${this.target}: ${e.message}`));
          return sftp;
        },
        (err: unknown) => {
          if (this.sftpSession === p) this.sftpSession = undefined;
          const cause = (err as MantleError).cause ?? err;
          if (!this.closed && /subsystem/i.test(errorMessage(cause))) {
            throw sshOperationError(
              SshErrorCode.ChannelFailed,
              `${this.target} offers no SFTP for ${what}: ${errorMessage(cause)}`,
              {
                hint: 'the server has no sftp subsystem; use installFile, which writes through a remote command',
                cause,
              },
            );
          }
          throw err;
        },
      );
      this.sftpSession = p;
    }
    return this.sftpSession;
  }

  // GNU install reads /dev/stdin fine; busybox's may lack the applet or copy the pipe as a FIFO.
  private async probeInstallMethod(): Promise<'install' | 'cat'> {
    const r = await this.exec('install --version 2>/dev/null | head -n 1', { timeoutMs: 30_000 });
    const method = /coreutils/i.test(r.stdout) ? 'install' : 'cat';
    this.logger.debug(`installFile on ${this.target} uses ${method}`);
    return method;
  }
}

// Write stdin then send EOF with eof() rather than end(): an ended channel is no longer writable,
// and ssh2 then refuses to send the KILL signal request a timeout needs.
async function feedStdin(ch: ClientChannel, stdin: SshExecOptions['stdin']): Promise<void> {
  if (stdin === undefined) {
    ch.eof();
    return;
  }
  const write = (chunk: Buffer | Uint8Array | string): Promise<void> =>
    new Promise((resolve, reject) => {
      ch.write(chunk, (e?: Error | null) => (e ? reject(e) : resolve()));
    });
  if (typeof stdin === 'string' || stdin instanceof Uint8Array) {
    if (stdin.length > 0) await write(stdin);
    ch.eof();
    return;
  }
  let last: Promise<void> | undefined;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    if (ch.destroyed || ch.writableEnded) return;
    last = write(chunk);
    // respect the channel window: wait for drain instead of buffering the whole stream
    if (ch.writableNeedDrain) await new Promise<void>((r) => ch.once('drain', () => r()));
  }
  if (last) await last;
  ch.eof();
}
