#!/usr/bin/env node
// kola scaling: 8 single-machine tests (boot the tiny image, one SSH command) run through the
// built kola bin at -j 1, -j 2 and -j auto. Prints wall time per setting and the speed-up
// against -j 1 measured in the same process. Needs `pnpm build` and the tiny image.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const kola = fileURLToPath(new URL('../packages/kola/dist/cli.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'kola-scaling-'));
const testsDir = join(work, 'tests');
spawnSync('mkdir', ['-p', testsDir]);
writeFileSync(
  join(testsDir, 'scale.mjs'),
  `export function register(registry, kola) {
  for (let i = 1; i <= 8; i++) {
    registry.register(kola.defineTest({
      name: 'scale.t' + i,
      distros: ['tiny'],
      run: async (c) => { await c.mustSsh(c.machines[0], 'true'); },
    }));
  }
}
`,
);

function runAt(parallel) {
  const out = join(work, `out-${parallel}`);
  const start = performance.now();
  const r = spawnSync(
    process.execPath,
    [kola, 'run', 'scale.*', '--tests-dir', testsDir, '-j', String(parallel), '--output-dir', out],
    {
      encoding: 'utf8',
    },
  );
  const secs = (performance.now() - start) / 1000;
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`kola run -j ${parallel} exited ${r.status}`);
  }
  return secs;
}

try {
  const results = {};
  for (const j of ['1', '2', 'auto']) {
    results[j] = runAt(j);
    console.log(`-j ${j.padEnd(4)} ${results[j].toFixed(1)} s`);
  }
  for (const j of ['2', 'auto'])
    console.log(`speed-up -j ${j} vs -j 1: ${(results['1'] / results[j]).toFixed(2)}x`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
