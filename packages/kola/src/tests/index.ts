import type { KolaTest } from '../registry/define-test.js';
import type { Registry } from '../registry/registry.js';
import { basicHostname, basicOsRelease, basicSsh } from './basic.js';
import { clusterLan } from './cluster.js';
import { consoleCheckFlags } from './console.js';
import { ignitionFiles } from './ignition.js';
import { rebootBootId } from './reboot.js';

/** kola's built-in tests (they run on the project's tiny image and on Flatcar alike). */
export const builtinTests: readonly KolaTest[] = [
  basicSsh,
  basicOsRelease,
  basicHostname,
  ignitionFiles,
  clusterLan,
  rebootBootId,
  consoleCheckFlags,
];

/** Register every built-in test. */
export function registerBuiltinTests(registry: Registry): void {
  for (const t of builtinTests) registry.register(t);
}
