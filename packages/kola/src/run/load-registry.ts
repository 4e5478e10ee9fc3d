import { Registry } from '../registry/registry.js';
import { loadTestsDir } from '../registry/load-tests-dir.js';

export interface LoadRegistryOptions {
  /** `--tests-dir` directories, loaded after the built-in tests */
  testsDirs?: readonly string[];
  cwd?: string;
  /** include the built-in tests (default true) */
  builtins?: boolean;
}

/** The registry a command works on: built-in tests plus every `--tests-dir` module. */
export async function loadRegistry(opts: LoadRegistryOptions = {}): Promise<Registry> {
  const registry = new Registry();
  if (opts.builtins !== false) {
    const { registerBuiltinTests } = await import('../tests/index.js');
    registerBuiltinTests(registry);
  }
  for (const dir of opts.testsDirs ?? []) await loadTestsDir(dir, registry, opts.cwd);
  return registry;
}
