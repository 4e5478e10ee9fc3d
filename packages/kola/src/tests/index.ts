import type { Registry } from '../registry/registry.js';
import { basicHostname, basicOsRelease, basicSsh } from './basic.js';
import { clusterLan } from './cluster.js';
import { consoleCheckFlags } from './console.js';
import { ignitionFiles } from './ignition.js';
import { rebootBootId } from './reboot.js';
import { systemdKolet, systemdUnits } from './systemd.js';
import type { KolaTest } from '../types.js';

/**
 * kola's built-in tests: generic ones for the tiny image and Flatcar (distros tiny, cl) and the
 * systemd image's (distro systemd). kolet's build bundles this list's native functions.
 */
export const builtinTests: readonly KolaTest[] = [
  basicSsh,
  basicOsRelease,
  basicHostname,
  ignitionFiles,
  clusterLan,
  rebootBootId,
  consoleCheckFlags,
  systemdUnits,
  systemdKolet,
];

/** Register every built-in test. */
export function registerBuiltinTests(registry: Registry): void {
  for (const t of builtinTests) registry.register(t);
}
