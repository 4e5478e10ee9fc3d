import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { HeavyFirstSequencer } from './scripts/heavy-first-sequencer.js';

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
    // The pool's size is a root option: vitest ignores maxWorkers inside a project, and its
    // default is one worker less than the cores (1 on a 2-core CI machine: every file in turn).
    maxWorkers: 2,
    minWorkers: 1,
    // The slowest files first, so the two workers end together (see the sequencer).
    sequence: { sequencer: HeavyFirstSequencer },
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
          // Real qemu, podman and bwrap under a loaded 2-core runner: a rare timing flake should not
          // sink a whole run. One retry; the summary reporter names every test that needed it.
          retry: 1,
        },
      },
    ],
  },
});
