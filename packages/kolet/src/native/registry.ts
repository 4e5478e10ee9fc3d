import { InputError } from '@mantle/core/errors';
import type { NativeFunction } from './context.js';

/** What kolet needs of a kola test: its name and native functions (defineTest results qualify). */
export interface NativeTestLike {
  name: string;
  nativeFuncs?: Readonly<Record<string, (...args: never[]) => unknown>>;
}

interface Entry {
  fn: NativeFunction;
  /** 'bundled' or the --module path it came from */
  source: string;
}

/** One test's functions, for listings and error messages. */
export interface NativeListing {
  test: string;
  funcs: string[];
}

/**
 * The native functions kolet can run, by test and function name. Functions bundled into the
 * kolet executable are registered at start-up; `--module` files add (or replace) more.
 */
export class NativeRegistry {
  private readonly tests = new Map<string, Map<string, Entry>>();

  /** Add every native function of a test (a test without any is ignored). */
  register(test: NativeTestLike, source = 'bundled'): void {
    if (!isNativeTestLike(test)) {
      throw new InputError({
        code: 'NATIVE_BAD_TEST',
        message: `${source}: register() needs an object with a string 'name' and a 'nativeFuncs' object`,
        hint: 'pass a defineTest() result or { name, nativeFuncs: { fn() {} } }',
      });
    }
    for (const [func, fn] of Object.entries(test.nativeFuncs ?? {}))
      this.registerNative(test.name, func, fn as NativeFunction, source);
  }

  /** Add one function; a later registration of the same test/function replaces the earlier one. */
  registerNative(test: string, func: string, fn: NativeFunction, source = 'bundled'): void {
    if (
      typeof test !== 'string' ||
      test === '' ||
      typeof func !== 'string' ||
      func === '' ||
      typeof fn !== 'function'
    ) {
      throw new InputError({
        code: 'NATIVE_BAD_FUNCTION',
        message: `${source}: registerNative(test, func, fn) needs two non-empty names and a function (got ${typeof test}, ${typeof func}, ${typeof fn})`,
        hint: "call registerNative('my.test', 'myFunc', (ctx) => { ... })",
      });
    }
    let funcs = this.tests.get(test);
    if (!funcs) {
      funcs = new Map();
      this.tests.set(test, funcs);
    }
    funcs.set(func, { fn, source });
  }

  /** The function, or undefined. */
  get(test: string, func: string): NativeFunction | undefined {
    return this.tests.get(test)?.get(func)?.fn;
  }

  has(test: string, func?: string): boolean {
    return func === undefined ? this.tests.has(test) : this.tests.get(test)?.has(func) === true;
  }

  /** Tests and their functions, sorted by name. */
  list(): NativeListing[] {
    return [...this.tests.entries()]
      .map(([test, funcs]) => ({ test, funcs: [...funcs.keys()].sort() }))
      .sort((a, b) => a.test.localeCompare(b.test));
  }

  /** How many functions are registered. */
  get size(): number {
    let n = 0;
    for (const f of this.tests.values()) n += f.size;
    return n;
  }
}

/** True for objects kolet can take native functions from. */
export function isNativeTestLike(v: unknown): v is NativeTestLike {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as { name?: unknown; nativeFuncs?: unknown };
  return (
    typeof t.name === 'string' &&
    t.name !== '' &&
    (t.nativeFuncs === undefined || (typeof t.nativeFuncs === 'object' && t.nativeFuncs !== null))
  );
}

/** The registry of this kolet process: bundled functions land here at start-up. */
export const nativeRegistry = new NativeRegistry();

/**
 * Register a native function in the process-wide registry. For test code that prefers to
 * register functions one by one instead of through defineTest's `nativeFuncs`.
 */
export function registerNative(test: string, func: string, fn: NativeFunction): void {
  nativeRegistry.registerNative(test, func, fn);
}
