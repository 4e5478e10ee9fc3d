import { packageVersion } from '@mantle/core/cli';

// Replaced at build time (tsup and the single-executable bundle define them); the executable
// has no package.json to read.
declare const __KOLET_VERSION__: string | undefined;

/** kolet's version. */
export const koletVersion: string =
  typeof __KOLET_VERSION__ === 'string' ? __KOLET_VERSION__ : packageVersion(import.meta.url);

/** The executable's build id (set by the single-executable bundle's first line), 'dev' otherwise. */
export function koletBuildId(): string {
  const id = (globalThis as { __KOLET_BUILD_ID__?: unknown }).__KOLET_BUILD_ID__;
  return typeof id === 'string' ? id : 'dev';
}
