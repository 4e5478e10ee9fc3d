import { isEntryPoint, main } from '@mantle/core/cli';
import { createKoletCli } from './cli-spec.js';
import { exitWhenIdle } from './exit-when-idle.js';
import { nativeRegistry } from './native/registry.js';
import { registerSelfTest } from './native/self-test.js';

/** kolet run from Node (`node dist/cli.js`): kolet.self and --module functions; the executable also bundles kola's tests. */
export const cli = createKoletCli(nativeRegistry, (registry) => Promise.resolve(registerSelfTest(registry)));

if (isEntryPoint(import.meta.url)) {
  await main(cli);
  exitWhenIdle();
}
