// spawnSync's result, without blocking the test worker. A long spawnSync (a kola run booting
// qemu, a build) freezes the vitest worker's event loop; an RPC to vitest's main process that was
// in flight when it began then times out the moment the loop runs again ("[vitest-worker]: Timeout
// calling onTaskUpdate", an unhandled error that fails the whole run, seen on a loaded runner).
import { spawn } from 'node:child_process';

export interface SpawnResult {
  /** exit code, null when the process was killed by a signal (as spawnSync reports it) */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnResultOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** kill with SIGTERM after this many ms (spawnSync's `timeout`) */
  timeout?: number;
  /** written to stdin, which is then closed */
  input?: string;
}

/** Run COMMAND ARGS to its end; output collected as UTF-8, like spawnSync(..., {encoding: 'utf8'}). */
export function spawnResult(
  command: string,
  args: readonly string[],
  opts: SpawnResultOptions = {},
): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = opts.timeout ? setTimeout(() => child.kill('SIGTERM'), opts.timeout) : undefined;
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
