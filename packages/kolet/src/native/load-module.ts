import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, errorMessage } from '@mantle/core/errors';
import { checkInputPath } from '@mantle/core/fs';
import { isNativeTestLike, type NativeRegistry, type NativeTestLike } from './registry.js';
import type { NativeFunction } from './context.js';

/** What a module's `register(registry, kola)` receives: enough to work without importing anything. */
export interface NativeModuleRegistrar {
  register(test: NativeTestLike): void;
  registerNative(test: string, func: string, fn: NativeFunction): void;
  has(test: string, func?: string): boolean;
}

/** The second argument of register(): kola's module API, reduced to what matters on a machine. */
export interface NativeModuleApi {
  /** returns the definition as is: on the machine only `name` and `nativeFuncs` matter */
  defineTest<T>(def: T): T;
  registerNative(test: string, func: string, fn: NativeFunction): void;
}

/**
 * Register the native functions a module's exports hold. The shapes are those of kola's
 * `--tests-dir` modules, so one file serves both: a `register(registry, kola)` function, or
 * test objects (defineTest results or plain `{ name, nativeFuncs }`) and arrays of them under
 * any export names (a CommonJS module's `module.exports` included). Returns how many
 * functions were added.
 */
export async function registerModuleExports(
  mod: Record<string, unknown>,
  registry: NativeRegistry,
  source: string,
): Promise<number> {
  const before = registry.size;
  const add = (t: NativeTestLike): void => registry.register(t, source);
  const registerFn =
    typeof mod.register === 'function'
      ? mod.register
      : (mod.default as Record<string, unknown> | undefined)?.register;
  if (typeof registerFn === 'function') {
    const registerNative = (t: string, f: string, fn: NativeFunction): void =>
      registry.registerNative(t, f, fn, source);
    const registrar: NativeModuleRegistrar = {
      register: add,
      registerNative,
      has: (t, f) => registry.has(t, f),
    };
    const api: NativeModuleApi = { defineTest: (d) => d, registerNative };
    await (registerFn as (r: NativeModuleRegistrar, k: NativeModuleApi) => unknown)(registrar, api);
  } else {
    const scan = (values: unknown[]): void => {
      for (const v of values) {
        if (isNativeTestLike(v)) add(v);
        else if (Array.isArray(v)) v.filter(isNativeTestLike).forEach(add);
      }
    };
    scan(Object.values(mod));
    const def = mod.default;
    if (def && typeof def === 'object' && !isNativeTestLike(def) && !Array.isArray(def))
      scan(Object.values(def));
  }
  return registry.size - before;
}

/**
 * Load a JavaScript module from the machine's disk and register its native functions, so
 * functions can be added without rebuilding kolet. Inside the single executable, where
 * `import()` is unavailable, the module is loaded with require (ES modules work on Node ≥ 20.19
 * as long as they use no top-level await).
 */
export async function loadNativeModule(
  path: string,
  registry: NativeRegistry,
  opts: { cwd?: string; sea?: boolean } = {},
): Promise<number> {
  const abs = resolve(opts.cwd ?? process.cwd(), path);
  // A module named on the command line that is not there is a bad input (exit 2), as in every tool.
  await checkInputPath(path, { cwd: opts.cwd ?? process.cwd(), flag: '--module' });
  let mod: Record<string, unknown>;
  try {
    mod = opts.sea
      ? (createRequire(process.execPath)(abs) as Record<string, unknown>)
      : ((await import(pathToFileURL(abs).href)) as Record<string, unknown>);
  } catch (err) {
    throw new InputError({
      code: 'NATIVE_MODULE_LOAD_FAILED',
      message: `--module ${path} failed to load: ${errorMessage(err)}`,
      hint: 'the module must be plain JavaScript (no TypeScript, no top-level await) importing only node: built-ins',
      cause: err,
    });
  }
  const added = await registerModuleExports(mod, registry, abs);
  if (added === 0) {
    throw new InputError({
      code: 'NATIVE_MODULE_EMPTY',
      message: `--module ${path} registers no native functions`,
      hint: "export tests with nativeFuncs ({ name: 'my.test', nativeFuncs: { check() {} } }) or register(registry) calling registry.registerNative(...)",
    });
  }
  return added;
}
