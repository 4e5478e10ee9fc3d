import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { errorMessage } from './message.js';

export interface MantleErrorOptions {
  /** stable machine-readable code, e.g. `GPT_BAD_CRC`; never reworded */
  code: string;
  /** what went wrong, naming the bad input (file, field, flag) */
  message: string;
  /** the way out: what the user should do */
  hint?: string;
  /** the exit code the CLI maps this error to */
  exitCode?: ExitCodeValue;
  /** the underlying error */
  cause?: unknown;
  /** structured details for --json output (never secrets) */
  details?: Record<string, unknown>;
}

/** Base class of every error mantle reports to a user. */
export class MantleError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown> | undefined;

  constructor(opts: MantleErrorOptions) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? ExitCode.Failure;
    this.details = opts.details;
  }

  /** A plain object for `--json` error output. */
  toJSON(): Record<string, unknown> {
    return {
      error: this.name,
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

type SubclassOptions = Omit<MantleErrorOptions, 'exitCode'>;

/** Bad flags or arguments (exit 2). */
export class UsageError extends MantleError {
  constructor(opts: SubclassOptions) {
    super({ ...opts, exitCode: ExitCode.Usage });
  }
}

/** An input file or value is invalid: config, image, layout (exit 2). */
export class InputError extends MantleError {
  constructor(opts: SubclassOptions) {
    super({ ...opts, exitCode: ExitCode.Usage });
  }
}

/** A tool, credential or image the command needs is missing (exit 3). */
export class PrerequisiteError extends MantleError {
  constructor(opts: SubclassOptions) {
    super({ ...opts, exitCode: ExitCode.Prerequisite });
  }
}

/** An operation failed for a reason outside the user's input (exit 1). */
export class OperationError extends MantleError {
  constructor(opts: SubclassOptions) {
    super({ ...opts, exitCode: ExitCode.Failure });
  }
}

/** The run was interrupted by a signal (exit 130). */
export class InterruptedError extends MantleError {
  constructor(signal: string) {
    super({ code: 'INTERRUPTED', message: `interrupted by ${signal}`, exitCode: ExitCode.Interrupted });
  }
}

/** A command that exists in the CLI but is not built yet (exit 2, never a pretend success). */
export class NotImplementedError extends MantleError {
  constructor(command: string, issue?: string) {
    super({
      code: 'NOT_IMPLEMENTED',
      message: `'${command}' is not built yet`,
      hint: issue ? `it is planned in ${issue}; see the project's issues` : "see the project's issues",
      exitCode: ExitCode.Usage,
    });
  }
}

/** Narrow an unknown thrown value to a MantleError, wrapping anything else. */
export function toMantleError(err: unknown): MantleError {
  if (err instanceof MantleError) return err;
  const message = errorMessage(err);
  return new MantleError({ code: 'UNEXPECTED', message, cause: err, exitCode: ExitCode.Failure });
}
