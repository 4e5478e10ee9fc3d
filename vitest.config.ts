import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkgs = ['core', 'kola', 'kolet', 'ore', 'plume', 'bakery', 'pilot'];
// Tests import workspace packages from source, so a unit run needs no build.
const alias = Object.fromEntries(
  pkgs.map((p) => [`@mantle/${p}`, fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))]),
);

export default defineConfig({
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'images/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // VMs and emulators are heavy on a 2-core machine: few files at once.
          maxWorkers: 2,
          minWorkers: 1,
        },
      },
    ],
  },
});
