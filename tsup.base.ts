import type { Options } from 'tsup';

/**
 * The one tsup configuration every package extends: ESM only, Node 20 target, a shebang on
 * CLI entries so `bin` works without a shim, declarations for the library entry.
 */
export function baseConfig(entry: Record<string, string>, overrides: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    clean: true,
    sourcemap: true,
    splitting: true,
    dts: { entry: { index: entry.index ?? 'src/index.ts' } },
    // A shebang is harmless on the library entry and required on the CLI entries.
    banner: { js: '#!/usr/bin/env node' },
    ...overrides,
  };
}
