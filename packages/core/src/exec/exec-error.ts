import { MantleError } from '../errors/mantle-error.js';
import { ExitCode } from '../errors/exit-codes.js';

/** How much of a failed command's stderr we keep in the error. */
export const STDERR_TAIL_LINES = 20;

/** A subprocess failed: carries the command, exit code, signal and the tail of stderr. */
export class ExecError extends MantleError {
  readonly command: string;
  readonly args: readonly string[];
  readonly commandExitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stderrTail: string;
  readonly timedOut: boolean;

  constructor(opts: {
    command: string;
    args: readonly string[];
    exitCode?: number | undefined;
    signal?: string | undefined;
    stderr?: string;
    timedOut?: boolean;
    cause?: unknown;
    hint?: string;
  }) {
    const tail = tailLines(opts.stderr ?? '', STDERR_TAIL_LINES);
    const how = opts.timedOut
      ? 'timed out'
      : opts.signal
        ? `was killed by ${opts.signal}`
        : `exited with code ${opts.exitCode ?? 'unknown'}`;
    super({
      code: opts.timedOut ? 'EXEC_TIMEOUT' : 'EXEC_FAILED',
      message: `${[opts.command, ...opts.args].join(' ')} ${how}${tail ? `:\n${tail}` : ''}`,
      ...(opts.hint ? { hint: opts.hint } : {}),
      exitCode: ExitCode.Failure,
      cause: opts.cause,
      details: { command: opts.command, args: opts.args, exitCode: opts.exitCode, signal: opts.signal },
    });
    this.command = opts.command;
    this.args = opts.args;
    this.commandExitCode = opts.exitCode;
    this.signal = opts.signal;
    this.stderrTail = tail;
    this.timedOut = opts.timedOut ?? false;
  }
}

/** The last `n` non-empty lines of a text. */
export function tailLines(text: string, n: number): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n');
}
