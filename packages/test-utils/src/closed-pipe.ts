// Runs a built bin with its stdout on a real pipe whose reader goes away early, as `| head -c N`
// does, to prove the bin then exits quietly (no EPIPE stack, the exit code of `ls | head`).
import { spawn } from 'node:child_process';

export interface ClosedPipeResult {
  /** exit code of the bin (null when killed by a signal) */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** what the reader got before it left */
  head: string;
  stderr: string;
}

/**
 * Start `node BIN ARGS` with stdout on a pipe, read `bytes` bytes, then close the reading end
 * (the bin's next write fails with EPIPE). Direct child_process: the test needs the pipe's read
 * end itself, to close it mid-stream, which execa does not hand out.
 */
export function runWithClosedPipe(
  bin: string,
  args: string[],
  opts: { bytes?: number; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ClosedPipeResult> {
  const bytes = opts.bytes ?? 10;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let head = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 60_000} ms`));
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (head.length >= bytes) return;
      head += chunk.toString('utf8').slice(0, bytes - head.length);
      // Closing our end of the pipe is what `head` exiting does.
      if (head.length >= bytes) child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, head, stderr });
    });
  });
}
