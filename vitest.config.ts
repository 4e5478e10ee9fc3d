import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const packages = fileURLToPath(new URL('./packages', import.meta.url));
// Tests import workspace packages from source, so a unit run needs no build: `@mantle/x` is
// packages/x/src/index.ts and a subpath export `@mantle/x/concern` is packages/x/src/concern/index.ts
// (core's concerns, ore's storage); `@mantle/test-utils/name` is packages/test-utils/src/name.ts.
const alias = [
  { find: /^@mantle\/test-utils\/([a-z-]+)$/, replacement: `${packages}/test-utils/src/$1.ts` },
  { find: /^@mantle\/([a-z]+)$/, replacement: `${packages}/$1/src/index.ts` },
  { find: /^@mantle\/([a-z]+)\/([a-z-]+)$/, replacement: `${packages}/$1/src/$2/index.ts` },
];

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
          include: ['packages/*/test/**/*.test.ts', 'images/**/*.test.ts', 'scripts/**/*.test.ts'],
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
