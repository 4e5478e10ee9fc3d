import { spawn } from 'node:child_process';

export interface CaptureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** milliseconds; the whole process group is killed when it runs longer */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** keep at most this many bytes of each stream (default 1 MiB) */
  maxBytes?: number;
}

export interface CaptureResult {
  stdout: string;
  stderr: string;
  /** the exit code; 127 when the program could not be started, -1 when killed by a signal */
  exitCode: number;
  signal: string | undefined;
  timedOut: boolean;
}

/**
 * How long a helper tool a check runs (systemctl, getent, id, dpkg-query, ip) may take. goss sets
 * no such limit; ours only keeps a hung tool from stalling kolet, so it is generous: under TCG on
 * a loaded CI host (two emulated machines per core) a `systemctl is-active` took longer than the
 * 15 s this used to be, and the check failed although the service ran.
 */
export const TOOL_TIMEOUT_MS = 120_000;

/** A PATH for commands when kolet itself was started without one (env -i, some ssh setups). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Run a program with an argument array and collect its output. The child leads its own process
 * group so a timeout kills everything it started (a `sh -c` line's children would otherwise
 * keep the pipes open and the check hanging). Never throws for the program's own failure.
 */
export function runCapture(argv: readonly string[], opts: CaptureOptions = {}): Promise<CaptureResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('runCapture: empty argument list'));
  const env = opts.env ?? process.env;
  const max = opts.maxBytes ?? 1024 * 1024;
  return new Promise((resolveResult) => {
    const child = spawn(cmd, args, {
      env: env.PATH ? env : { ...env, PATH: DEFAULT_PATH },
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    let settled = false;
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < max) out.push(b.subarray(0, max - outLen));
      outLen += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < max) err.push(b.subarray(0, max - errLen));
      errLen += b.length;
    });
    const killGroup = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killGroup('SIGKILL');
          }, opts.timeoutMs)
        : undefined;
    const onAbort = (): void => killGroup('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (r: Omit<CaptureResult, 'stdout' | 'stderr' | 'timedOut'>, extraErr = ''): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolveResult({
        ...r,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + extraErr,
        timedOut,
      });
    };
    child.on('error', (e) => finish({ exitCode: 127, signal: undefined }, `${cmd}: ${e.message}\n`));
    child.on('close', (code, sig) => finish({ exitCode: code ?? -1, signal: sig ?? undefined }));
  });
}
