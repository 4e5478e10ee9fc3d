#!/usr/bin/env node
// The whole test suite: build every package (integration tests run the built bins), then run
// the unit and integration projects. Extra args go to vitest (e.g. `pnpm test -- --project unit`).
import { spawnSync } from 'node:child_process';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
run('pnpm', ['exec', 'vitest', 'run', ...process.argv.slice(2)]);
