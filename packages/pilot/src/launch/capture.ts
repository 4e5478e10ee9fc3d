// Short helper commands of a launch (podman create/cp/rm/inspect, tar, mkfs): output collected,
// a failure turned into a typed error with the stderr tail. node:child_process for the same
// reason as child.ts (start-up cost on the hot path) and because provisioning pipes streams
// between processes.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { raise } from './raise.js';

export interface Invocation {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (archives) */
  stdoutBytes: Buffer;
}

/** Start an invocation; stdin from `input` (a stream) or nothing. */
export function start(inv: Invocation, input?: Readable): ChildProcess {
  const child = spawn(inv.command, inv.args, {
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: inv.env,
    ...(inv.uid !== undefined ? { uid: inv.uid } : {}),
    ...(inv.gid !== undefined ? { gid: inv.gid } : {}),
  });
  if (input && child.stdin) {
    // the reader may stop early (it failed): that is reported by its exit code, not as EPIPE
    child.stdin.on('error', () => {});
    input.pipe(child.stdin);
  }
  return child;
}

/** Wait for a started child; collects its stderr, and its stdout unless that is read elsewhere. */
export function finish(child: ChildProcess, inv: Invocation, collectStdout = true): Promise<Captured> {
  const out: Buffer[] = [];
  let stderr = '';
  if (collectStdout) child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise<Captured>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT')
        raise('prerequisite', {
          code: 'ENGINE_MISSING',
          message: `${inv.command} was not found on PATH`,
          hint: `install ${inv.command}`,
          details: { tool: inv.command },
        }).catch(reject);
      else reject(err);
    });
    child.once('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: stdoutBytes.toString('utf8'),
        stderr,
        stdoutBytes,
      });
    });
  });
}

/** Run to completion and collect output. */
export function capture(inv: Invocation, input?: Readable): Promise<Captured> {
  return finish(start(inv, input), inv);
}

/** The last lines of a command's stderr, for error messages. */
export function tail(text: string, lines = 12): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}

/** Run and throw LaunchOperationError (exit 1) on a non-zero exit. */
export async function mustRun(inv: Invocation, what: string, input?: Readable): Promise<Captured> {
  const r = await capture(inv, input);
  if (r.code !== 0)
    await raise('operation', {
      code: 'ENGINE_FAILED',
      message: `${what} failed: ${[inv.command, ...inv.args].join(' ')} exited with ${r.code}${r.stderr ? `:\n${tail(r.stderr)}` : ''}`,
      details: { command: inv.command, args: inv.args, exitCode: r.code },
    });
  return r;
}
