import type { Options as ExecaOptions } from 'execa';
import { ExecError } from './exec-error.js';
import { toolMissingError } from './require-tool.js';
import { InterruptedError } from '../errors/mantle-error.js';
import type { Logger } from '../log/logger.js';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** text or bytes fed to stdin */
  input?: string | Uint8Array;
  /** milliseconds; the process is killed (SIGTERM, then SIGKILL) when it runs longer */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** resolve with the exit code instead of throwing on a non-zero exit */
  reject?: boolean;
  logger?: Logger;
  /** pass stdout/stderr through to ours (e.g. for interactive tools) */
  inherit?: boolean;
  /** the Debian package of `command`, named when it is not installed (default: core's table) */
  debianPackage?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  signal: string | undefined;
}

/**
 * Run a program with an argument array (never a shell string) and collect its output.
 * Failures become ExecError with command, exit code, signal and the stderr tail; a program that
 * is not installed is a PrerequisiteError (TOOL_MISSING, exit 3) naming its Debian package.
 */
export async function run(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  opts.logger?.debug(`exec: ${[command, ...args].join(' ')}`);
  const execaOpts: ExecaOptions = {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: opts.env === undefined,
    reject: false,
    stripFinalNewline: false,
    timeout: opts.timeoutMs,
    forceKillAfterDelay: 2000,
    cancelSignal: opts.signal,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    ...(opts.inherit ? { stdout: 'inherit' as const, stderr: 'inherit' as const } : {}),
  };
  // execa is imported on first use: it costs ~150 ms of start-up that `--help` should not pay.
  const { execa } = await import('execa');
  const result = await execa(command, [...args], execaOpts);
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  if (result.isCanceled) throw new InterruptedError('abort signal');
  const missing = (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  // A program that is not installed is a missing prerequisite (exit 3), not a failed command.
  if (missing) throw toolMissingError(command, { debianPackage: opts.debianPackage, cause: result.cause });
  const out: RunResult = {
    stdout,
    stderr,
    exitCode: result.exitCode ?? -1,
    signal: result.signal ?? undefined,
  };
  if (result.timedOut)
    throw new ExecError({ command, args, stderr, timedOut: true, signal: out.signal, cause: result.cause });
  if ((result.failed && opts.reject !== false) || (out.signal && opts.reject !== false)) {
    throw new ExecError({
      command,
      args,
      exitCode: result.exitCode,
      signal: out.signal,
      stderr,
      cause: result.cause,
    });
  }
  return out;
}

/** Run and return trimmed stdout. */
export async function runText(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  return (await run(command, args, opts)).stdout.trim();
}
