import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, errorMessage } from '@mantle/core/errors';
import { checkInputPath } from '@mantle/core/fs';
import { checkConsole } from '../console/check-console.js';
import { defineTest, isKolaTest } from './define-test.js';
import type { Registry } from './registry.js';
import type { KolaTest } from '../types.js';

/** What a `register(registry, kola)` function receives as its second argument. */
export interface KolaModuleApi {
  defineTest: typeof defineTest;
  checkConsole: typeof checkConsole;
}

/** One loaded `--tests-dir` module and the tests it added. */
export interface LoadedTestModule {
  file: string;
  tests: string[];
}

const MODULE_EXT = /\.(m?js)$/;

/**
 * Load external tests from a directory of JavaScript modules (`*.js`, `*.mjs`, not recursive,
 * in name order), without rebuilding kola. Each module either
 *  - exports `register(registry, kola)` (sync or async), which calls `registry.register(...)`
 *    with defineTest() results or plain definitions (`kola` carries defineTest and checkConsole,
 *    so the module needs no import of @mantle/kola), or
 *  - exports defineTest() results (or arrays of them) under any names, which are all registered.
 * When a module exports `register`, only register() is used. A module that fails to load or
 * exports neither is an InputError naming the file.
 */
export async function loadTestsDir(
  dir: string,
  registry: Registry,
  cwd = process.cwd(),
): Promise<LoadedTestModule[]> {
  const abs = await checkInputPath(dir, { cwd, flag: '--tests-dir', kind: 'dir' });
  const entries = await readdir(abs);
  const files = entries.filter((e) => MODULE_EXT.test(e) && !e.startsWith('.')).sort();
  if (files.length === 0) {
    throw new InputError({
      code: 'TESTS_DIR_EMPTY',
      message: `--tests-dir ${dir}: no .js or .mjs modules in ${abs}`,
      hint: 'put compiled JavaScript test modules there (TypeScript must be compiled first)',
    });
  }
  const loaded: LoadedTestModule[] = [];
  for (const f of files) loaded.push(await loadTestModule(join(abs, f), registry));
  return loaded;
}

/** Load one external test module into the registry (see loadTestsDir for the contract). */
export async function loadTestModule(file: string, registry: Registry): Promise<LoadedTestModule> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new InputError({
      code: 'TEST_MODULE_LOAD_FAILED',
      message: `test module ${file} failed to load: ${errorMessage(err)}`,
      hint: 'fix the module (run it with `node FILE` to see the full error)',
      cause: err,
    });
  }
  const before = new Set(registry.list().map((t) => t.name));
  const scoped = scopedRegistry(registry, file);
  if (typeof mod.register === 'function') {
    try {
      await (mod.register as (r: TestRegistrar, k: KolaModuleApi) => unknown)(scoped, {
        defineTest,
        checkConsole,
      });
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError({
        code: 'TEST_MODULE_REGISTER_FAILED',
        message: `test module ${file}: register() threw: ${errorMessage(err)}`,
        hint: 'fix the module’s register function',
        cause: err,
      });
    }
  } else {
    const found: KolaTest[] = [];
    for (const value of Object.values(mod)) {
      if (isKolaTest(value)) found.push(value);
      else if (Array.isArray(value)) found.push(...value.filter(isKolaTest));
    }
    if (found.length === 0) {
      throw new InputError({
        code: 'TEST_MODULE_EMPTY',
        message: `test module ${file} exports neither register(registry) nor defineTest() results`,
        hint: 'export `function register(registry, kola) { registry.register(kola.defineTest({...})) }`',
      });
    }
    for (const t of found) registry.register(t, file);
  }
  return {
    file,
    tests: registry
      .list()
      .map((t) => t.name)
      .filter((n) => !before.has(n)),
  };
}

/** What a module's register() gets: the registry's read side plus a register() that records `file`. */
export type TestRegistrar = Pick<Registry, 'register' | 'get' | 'has' | 'list'>;

function scopedRegistry(registry: Registry, file: string): TestRegistrar {
  return {
    register: (t) => registry.register(t, file),
    get: (name) => registry.get(name),
    has: (name) => registry.has(name),
    list: () => registry.list(),
  };
}
