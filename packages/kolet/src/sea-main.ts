// The entry of the kolet single executable: registers the native functions bundled at build
// time, then runs the CLI. `kolet:bundled-tests` is a virtual module the build generates
// (scripts/build-sea.mjs): it re-exports the test modules given with --tests (kola's build
// passes its built-in tests).
import { main } from '@mantle/core/cli';
import { createKoletCli } from './cli-spec.js';
import { exitWhenIdle } from './exit-when-idle.js';
import { registerModuleExports } from './native/load-module.js';
import { nativeRegistry, type NativeRegistry } from './native/registry.js';
import { registerSelfTest } from './native/self-test.js';

// Loaded only by the commands that need native functions: evaluating the bundled test modules
// (defineTest validates with zod) would otherwise slow every `kolet version` and `kolet check`.
async function registerBundled(registry: NativeRegistry): Promise<void> {
  registerSelfTest(registry);
  const { tests } = await import('kolet:bundled-tests');
  for (const mod of tests) await registerModuleExports(mod, registry, 'bundled');
}

void main(createKoletCli(nativeRegistry, registerBundled)).then(() => exitWhenIdle());
