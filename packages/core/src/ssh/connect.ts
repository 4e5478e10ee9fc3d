import type { Client, ConnectConfig } from 'ssh2';
import { ssh2 } from './ssh2-lazy.js';
import { InterruptedError, MantleError } from '../errors/mantle-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { SshClient } from './client.js';
import { SshErrorCode, sshOperationError, sshTarget, sshUsageError } from './errors.js';
import {
  prepareHostKeyCheck,
  validateHostKeyPolicy,
  type HostKeyCheck,
  type HostKeyPolicy,
} from './host-key.js';
import { loadPrivateKey, type LoadedPrivateKey } from './keys.js';

/** How long to wait between attempts: grows by `factor` from `initialMs` up to `maxMs`. */
export interface BackoffOptions {
  initialMs?: number;
  factor?: number;
  maxMs?: number;
}

export interface ConnectOptions {
  host: string;
  /** default 22 */
  port?: number;
  user: string;
  /** the private key itself (OpenSSH/PEM text or bytes); or give privateKeyPath */
  privateKey?: string | Buffer;
  privateKeyPath?: string;
  passphrase?: string;
  /** attempts before giving up with SSH_UNREACHABLE (default 60, kola's default while machines boot) */
  tries?: number;
  /** one attempt's limit for TCP connect + handshake + auth (default 10 000 ms) */
  perTryTimeoutMs?: number;
  /** pause between attempts (default 250 ms growing ×1.5 up to 3 000 ms), or a function of the attempt number */
  backoff?: BackoffOptions | ((attempt: number) => number);
  hostKeyPolicy: HostKeyPolicy;
  /** known_hosts file for hostKeyPolicy 'accept-new' */
  knownHostsPath?: string;
  /** keepalive probe interval (default 5 000 ms; 0 disables); a silent peer is dropped after `keepaliveCountMax` misses */
  keepaliveIntervalMs?: number;
  /** unanswered keepalives before the connection counts as lost (default 3) */
  keepaliveCountMax?: number;
  /**
   * Extra attempts after the server refused the key (default 0: refused keys fail at once). Only for
   * platforms whose agent installs keys after sshd starts (cloud metadata agents).
   */
  authFailureRetries?: number;
  /** session channels (exec, shell, SFTP) open at once; more wait (default 10, OpenSSH's MaxSessions) */
  maxSessions?: number;
  /** abort connecting (kola's Ctrl-C): rejects with InterruptedError */
  signal?: AbortSignal;
  logger?: Logger;
}

const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 250, factor: 1.5, maxMs: 3000 };

/** The pause before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(backoff: ConnectOptions['backoff'], attempt: number): number {
  if (typeof backoff === 'function') return Math.max(0, backoff(attempt));
  const b = { ...DEFAULT_BACKOFF, ...backoff };
  return Math.min(b.maxMs, b.initialMs * Math.pow(b.factor, attempt - 1));
}

/**
 * Connect and authenticate, retrying while the machine boots: refused or reset connections,
 * timeouts and failed handshakes are retried with backoff. A refused key (SSH_AUTH_FAILED) or a
 * changed host key (SSH_HOSTKEY_MISMATCH) fails at once; running out of tries is SSH_UNREACHABLE.
 */
export async function connectWithRetry(opts: ConnectOptions): Promise<SshClient> {
  const port = opts.port ?? 22;
  const tries = opts.tries ?? 60;
  const perTryTimeoutMs = opts.perTryTimeoutMs ?? 10_000;
  const logger = opts.logger ?? silentLogger;
  const target = sshTarget({ user: opts.user, host: opts.host, port });
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw sshUsageError(`SSH port ${port} for ${opts.host} is not a TCP port`);
  if (!Number.isInteger(tries) || tries < 1)
    throw sshUsageError(`tries must be a whole number ≥ 1, got ${tries}`);
  if (!(perTryTimeoutMs > 0)) throw sshUsageError(`perTryTimeoutMs must be > 0, got ${perTryTimeoutMs}`);
  validateHostKeyPolicy(opts.hostKeyPolicy, opts.knownHostsPath);
  const key = await loadPrivateKey(opts);
  let authRetriesLeft = opts.authFailureRetries ?? 0;
  let lastError: Error | undefined;

  for (let attempt = 1; attempt <= tries; attempt++) {
    if (opts.signal?.aborted) throw new InterruptedError('abort signal');
    const check = await prepareHostKeyCheck({
      policy: opts.hostKeyPolicy,
      knownHostsPath: opts.knownHostsPath,
      host: opts.host,
      port,
      logger,
    });
    const started = Date.now();
    try {
      const conn = await attemptConnect(opts, port, key, check, perTryTimeoutMs, logger);
      logger.debug(`connected to ${target} on attempt ${attempt} (${Date.now() - started} ms)`);
      return new SshClient(conn, {
        host: opts.host,
        port,
        user: opts.user,
        hostKeyFingerprint: check.fingerprint,
        hostKey: check.key,
        attempts: attempt,
        ...(opts.maxSessions !== undefined ? { maxSessions: opts.maxSessions } : {}),
        logger,
      });
    } catch (err) {
      if (err instanceof MantleError) throw err; // interrupted, host key refused
      if (check.failure) throw check.failure;
      const e = err as Error & { level?: string };
      if (e.level === 'client-authentication') {
        if (authRetriesLeft <= 0) throw authFailedError(target, opts.user, key, attempt, e);
        authRetriesLeft--;
      }
      lastError = e;
      if (attempt < tries) {
        const wait = backoffDelay(opts.backoff, attempt);
        logger.debug(
          `attempt ${attempt}/${tries} to ${target} failed: ${e.message}; retrying in ${Math.round(wait)} ms`,
        );
        await sleep(wait, opts.signal);
      } else {
        logger.debug(`attempt ${attempt}/${tries} to ${target} failed: ${e.message}`);
      }
    }
  }
  const last = lastError as Error & { level?: string };
  if (last.level === 'client-authentication') throw authFailedError(target, opts.user, key, tries, last);
  throw sshOperationError(
    SshErrorCode.Unreachable,
    `no SSH server answered at ${sshTarget({ host: opts.host, port })} after ${tries} ${tries === 1 ? 'try' : 'tries'} (last error: ${last.message})`,
    {
      hint: `check that the machine booted and sshd listens on port ${port}; raise tries or perTryTimeoutMs for slow boots`,
      cause: last,
      details: { host: opts.host, port, user: opts.user, attempts: tries, lastError: last.message },
    },
  );
}

function authFailedError(
  target: string,
  user: string,
  key: LoadedPrivateKey,
  attempts: number,
  cause: Error,
): MantleError {
  return sshOperationError(
    SshErrorCode.AuthFailed,
    `${target} refused the key ${key.source} (${key.fingerprint}) for user '${user}'`,
    {
      hint: `make sure ~${user}/.ssh/authorized_keys on the machine holds this public key (ssh-keygen -y -f KEY prints it), e.g. through Ignition passwd.users[].ssh_authorized_keys; refused keys are not retried`,
      cause,
      details: { target, user, key: key.source, fingerprint: key.fingerprint, attempts },
    },
  );
}

// One attempt: resolves with a ready (authenticated) ssh2 Client or rejects with why not.
function attemptConnect(
  opts: ConnectOptions,
  port: number,
  key: LoadedPrivateKey,
  check: HostKeyCheck,
  timeoutMs: number,
  logger: Logger,
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const conn = new (ssh2().Client)();
    let done = false;
    const finish = (err: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      conn.off('ready', onReady);
      conn.off('error', onError);
      conn.off('close', onClose);
      if (err) {
        conn.on('error', () => undefined); // late socket errors of a discarded attempt
        conn.destroy();
        reject(err);
      } else {
        resolve(conn);
      }
    };
    const onReady = (): void => {
      // Commands are small request/response exchanges: without TCP_NODELAY, Nagle holds a
      // CHANNEL_OPEN sent right after the previous CLOSE until the server's delayed ACK (~40 ms).
      conn.setNoDelay(true);
      finish(undefined);
    };
    const onError = (err: Error): void => finish(err);
    const onClose = (): void =>
      finish(
        Object.assign(new Error('the server closed the connection before the handshake finished'), {
          level: 'client-socket',
        }),
      );
    const onAbort = (): void => finish(new InterruptedError('abort signal'));
    // ssh2's readyTimeout covers the handshake; this also bounds a TCP connect that never answers.
    const timer = setTimeout(
      () =>
        finish(
          Object.assign(new Error(`no SSH handshake within ${timeoutMs} ms`), { level: 'client-timeout' }),
        ),
      timeoutMs + 250,
    );
    conn.once('ready', onReady);
    conn.on('error', onError);
    conn.once('close', onClose);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const keepalive = opts.keepaliveIntervalMs ?? 5000;
    const config: ConnectConfig = {
      host: opts.host,
      port,
      username: opts.user,
      privateKey: key.key,
      ...(opts.passphrase !== undefined ? { passphrase: opts.passphrase } : {}),
      readyTimeout: timeoutMs,
      keepaliveInterval: keepalive,
      keepaliveCountMax: opts.keepaliveCountMax ?? 3,
      hostVerifier: (k: Buffer, verify: (ok: boolean) => void) => {
        check.key = k.toString('base64');
        check.verify(k, verify);
      },
      ...(check.serverHostKeyAlgorithms
        ? { algorithms: { serverHostKey: check.serverHostKeyAlgorithms as never } }
        : {}),
      ...(logger.level === 'trace' ? { debug: (m: string) => logger.trace(m) } : {}),
    };
    try {
      conn.connect(config);
    } catch (err) {
      finish(err as Error);
    }
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError('abort signal'));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new InterruptedError('abort signal'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
