import { rebootMarkProblem } from './protocol.js';

const SKIP = Symbol.for('mantle.kolet.skip');
const REBOOT = Symbol.for('mantle.kolet.reboot-request');

/** What a native function receives as its one argument. */
export interface NativeContext {
  /** the test and function being run */
  readonly test: string;
  readonly func: string;
  /**
   * The mark the function passed to rebootRequest() before the reboot it asked for; undefined
   * on the first run. The same value is in $KOLA_REBOOT_MARK and $AUTOPKGTEST_REBOOT_MARK.
   */
  readonly rebootMark: string | undefined;
  /** aborted when `kolet run --timeout` expires or kolet is interrupted */
  readonly signal: AbortSignal;
  /** write a line to stderr (kola shows it with the test's output) */
  log(...args: unknown[]): void;
  /** stop here and report the function skipped (exit 77) */
  skip(reason: string): never;
  /** stop here and ask kola to reboot the machine and run this function again with `mark` */
  rebootRequest(mark: string): never;
}

/** A native function: sync or async; throwing fails it, returning passes it (a string or JSON-able value is printed). */
export type NativeFunction = (ctx: NativeContext) => unknown;

/** Thrown by ctx.skip / skipNative; recognised across copies of kolet by a global symbol. */
export class NativeSkip extends Error {
  readonly [SKIP] = true;
  constructor(readonly reason: string) {
    super(`skipped: ${reason}`);
    this.name = 'NativeSkip';
  }
}

/** Thrown by ctx.rebootRequest. */
export class NativeRebootRequest extends Error {
  readonly [REBOOT] = true;
  constructor(readonly mark: string) {
    super(`reboot requested with mark ${mark}`);
    this.name = 'NativeRebootRequest';
  }
}

/** Skip the running native function (for code that has no ctx at hand). */
export function skipNative(reason: string): never {
  throw new NativeSkip(reason);
}

/** True for a skip thrown by any copy of kolet. */
export function isNativeSkip(err: unknown): err is { reason: string } {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[SKIP] === true;
}

/** True for a reboot request thrown by any copy of kolet. */
export function isNativeRebootRequest(err: unknown): err is { mark: string } {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[REBOOT] === true;
}

/** Build the context given to one run of a function. */
export function createNativeContext(opts: {
  test: string;
  func: string;
  rebootMark: string | undefined;
  signal: AbortSignal;
  stderr: NodeJS.WritableStream;
}): NativeContext {
  return {
    test: opts.test,
    func: opts.func,
    rebootMark: opts.rebootMark,
    signal: opts.signal,
    log: (...args: unknown[]) => {
      opts.stderr.write(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') + '\n');
    },
    skip: (reason: string) => {
      throw new NativeSkip(reason);
    },
    rebootRequest: (mark: string) => {
      const problem = rebootMarkProblem(mark);
      if (problem) throw new Error(`rebootRequest: ${problem}`);
      throw new NativeRebootRequest(mark);
    },
  };
}
