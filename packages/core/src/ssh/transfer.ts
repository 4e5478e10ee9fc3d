import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, rename, rm, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper, Stats } from 'ssh2';
import { SshErrorCode, sshOperationError, sshUsageError } from './errors.js';
import type { SshExecOptions, SshExecResult } from './types.js';
import { shellQuote } from './shell-quote.js';
import { errorMessage } from '../errors/message.js';

export interface PutFileOptions {
  /** permission bits of the remote file (default 0o644), applied after the umask */
  mode?: number;
}

export interface GetFileOptions {
  /** permission bits of the local file; default: the remote file's */
  mode?: number;
}

export interface InstallFileOptions {
  /**
   * `install`: GNU `install -m MODE /dev/stdin PATH`; `cat`: `cat > TMP && chmod && mv` (works with
   * busybox, which may lack `install` or copy /dev/stdin as a FIFO); `auto` (default): `install`
   * when the host's is GNU coreutils, else `cat` (probed once per connection).
   */
  method?: 'auto' | 'install' | 'cat';
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What a transfer moved. */
export interface TransferResult {
  bytes: number;
}

type Exec = (command: string, opts: SshExecOptions) => Promise<SshExecResult>;

const DEFAULT_MODE = 0o644;

// Larger requests than ssh2's default (32 KiB × 64) roughly halved 32 MiB transfer times against
// OpenSSH here; ssh2 still splits requests to the server's advertised limits.
const XFER = { chunkSize: 64 * 1024, concurrency: 32 };

/** The mode as install/chmod want it, e.g. `0755`. */
export function formatMode(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw sshUsageError(
      `file mode ${mode} is not a permission value between 0 and 0o7777`,
      'pass a number such as 0o644 or 0o755',
    );
  }
  return mode.toString(8).padStart(4, '0');
}

// A sibling temp name: rename within one directory is atomic, and a running binary being replaced
// (ETXTBSY) is never written to in place.
function siblingTemp(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.mantle-${randomBytes(6).toString('hex')}`);
}

/** Upload over SFTP to a temp name, set the mode, then rename over `remotePath`. */
export async function sftpPut(
  sftp: SFTPWrapper,
  source: string | Uint8Array | Readable,
  remotePath: string,
  opts: PutFileOptions,
  target: string,
): Promise<TransferResult> {
  const mode = opts.mode ?? DEFAULT_MODE;
  formatMode(mode);
  const tmp = siblingTemp(remotePath);
  const from =
    typeof source === 'string'
      ? source
      : source instanceof Uint8Array
        ? `${source.length} bytes`
        : 'a stream';
  try {
    let bytes: number;
    if (typeof source === 'string') {
      bytes = (await stat(source)).size;
      await cb<void>((done) => sftp.fastPut(source, tmp, { ...XFER, mode }, done));
    } else {
      const counter = countingStream();
      const input =
        source instanceof Uint8Array
          ? Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)])
          : source;
      await pipeline(input, counter.stream, sftp.createWriteStream(tmp, { mode }));
      bytes = counter.bytes();
    }
    await cb<void>((done) => sftp.chmod(tmp, mode, done));
    await sftpReplace(sftp, tmp, remotePath);
    return { bytes };
  } catch (err) {
    await cb<void>((done) => sftp.unlink(tmp, done)).catch(() => undefined);
    throw sshOperationError(
      SshErrorCode.TransferFailed,
      `cannot copy ${from} to ${target}:${remotePath}: ${sftpMessage(err)}`,
      {
        hint: 'check that the remote directory exists and is writable by the SSH user, and that the source is readable',
        cause: err,
        details: { target, remotePath },
      },
    );
  }
}

/** Download over SFTP to a local temp name, then rename over `localPath`. */
export async function sftpGet(
  sftp: SFTPWrapper,
  remotePath: string,
  localPath: string,
  opts: GetFileOptions,
  target: string,
): Promise<TransferResult> {
  const tmp = `${localPath}.mantle-${randomBytes(6).toString('hex')}`;
  try {
    const st = await cb<Stats>((done) => sftp.stat(remotePath, done));
    await cb<void>((done) => sftp.fastGet(remotePath, tmp, XFER, done));
    await chmod(tmp, opts.mode ?? st.mode & 0o7777);
    await rename(tmp, localPath);
    return { bytes: st.size };
  } catch (err) {
    await rm(tmp, { force: true });
    throw sshOperationError(
      SshErrorCode.TransferFailed,
      `cannot copy ${target}:${remotePath} to ${localPath}: ${sftpMessage(err)}`,
      {
        hint: 'check that the remote file exists and is readable, and that the local directory is writable',
        cause: err,
        details: { target, remotePath, localPath },
      },
    );
  }
}

/** Write a file through a remote command (no SFTP needed). */
export async function installOverExec(
  exec: Exec,
  source: string | Uint8Array | Readable,
  remotePath: string,
  mode: number,
  method: 'install' | 'cat',
  opts: InstallFileOptions,
  target: string,
): Promise<TransferResult> {
  const m = formatMode(mode);
  const counter = countingStream();
  const input =
    typeof source === 'string'
      ? createReadStream(source)
      : source instanceof Uint8Array
        ? Readable.from([Buffer.from(source)])
        : source;
  const stdin = input.pipe(counter.stream);
  input.on('error', (e: Error) => counter.stream.destroy(e));
  let command: string;
  if (method === 'install') {
    command = shellQuote(['install', '-m', m, '/dev/stdin', remotePath]);
  } else {
    const tmp = siblingTemp(remotePath);
    const q = (s: string): string => shellQuote([s]);
    // umask 077 keeps the half-written temp private until chmod gives it its real mode.
    command = `umask 077 && { cat > ${q(tmp)} && chmod ${m} ${q(tmp)} && mv -f ${q(tmp)} ${q(remotePath)}; } || { rc=$?; rm -f ${q(tmp)}; exit $rc; }`;
  }
  const r = await exec(command, {
    stdin,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (r.exitCode !== 0) {
    const stderr = r.stderr.trim().split('\n').slice(-5).join('\n');
    throw sshOperationError(
      SshErrorCode.TransferFailed,
      `cannot write ${target}:${remotePath} with ${method}: exit ${r.exitCode}${stderr ? `: ${stderr}` : ''}`,
      {
        hint:
          method === 'install'
            ? "the host's install may not read /dev/stdin (busybox): use method 'cat'"
            : 'check that the remote directory exists and is writable',
        details: { target, remotePath, method, exitCode: r.exitCode },
      },
    );
  }
  return { bytes: counter.bytes() };
}

// Replace atomically with OpenSSH's posix-rename; plain SFTP rename fails when the target exists.
async function sftpReplace(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await cb<void>((done) => sftp.ext_openssh_rename(from, to, done));
    return;
  } catch (err) {
    if (!/does not support|not supported|unsupported/i.test(errorMessage(err))) throw err;
  }
  await cb<void>((done) => sftp.unlink(to, done)).catch(() => undefined);
  await cb<void>((done) => sftp.rename(from, to, done));
}

function countingStream(): { stream: Transform; bytes: () => number } {
  let n = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, bytes: () => n };
}

function cb<T>(fn: (done: (err?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

function sftpMessage(err: unknown): string {
  const e = err as { message?: string; code?: unknown };
  const names: Record<number, string> = {
    2: 'no such file',
    3: 'permission denied',
    4: 'failure',
    8: 'operation unsupported',
  };
  const extra =
    typeof e.code === 'number' && names[e.code] && !e.message?.toLowerCase().includes(names[e.code] as string)
      ? ` (${names[e.code]})`
      : '';
  return `${e.message ?? String(err)}${extra}`;
}
