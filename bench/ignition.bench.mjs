// Benchmark: Butane → Ignition translation plus validation in-process (butaneToIgnition, then
// parseIgnition of the rendered JSON), against what people do by hand on the same configs:
//   - baseline A: the `yaml` package's plain parse of the same Butane text (the floor: parsing only)
//   - baseline B: one run of the real `ignition-validate` (Debian package "ignition") per config
//     on the same configs rendered to JSON, as a CI step would (only when it is installed)
// Prints microseconds per config and the ratios (ours / baseline; < 1 means faster).
//
//   pnpm --filter @mantle/core build && node bench/ignition.bench.mjs
//   BENCH_RUNS=2000 node bench/ignition.bench.mjs
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

// `yaml` is a dependency of @mantle/core, not of the workspace root: resolve it from there.
const { parse } = createRequire(new URL('../packages/core/package.json', import.meta.url))('yaml');

const RUNS = Number(process.env.BENCH_RUNS ?? 500);
const execFileP = promisify(execFile);
const dist = process.env.MANTLE_CORE_DIST ?? new URL('../packages/core/dist/index.js', import.meta.url).href;

let core;
try {
  core = await import(dist);
} catch (err) {
  console.error(
    `cannot load @mantle/core from ${dist} (${err.message}); run: pnpm --filter @mantle/core build`,
  );
  process.exit(3);
}
const fixtures = new URL('../packages/core/test/fixtures/butane/', import.meta.url).pathname;
const names = ['sysext-remote.bu', 'sysext-local.bu', 'fcos-1.0.bu'];
const texts = await Promise.all(names.map((n) => readFile(join(fixtures, n), 'utf8')));
const opts = { filesDir: join(fixtures, 'files') };

function time(fn, count = texts.length) {
  for (let i = 0; i < Math.min(50, RUNS); i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < RUNS; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / RUNS / count;
}

const oursOn = (subset) =>
  time(() => {
    for (const t of subset) core.parseIgnition(core.renderIgnition(core.butaneToIgnition(t, opts).config));
  }, subset.length);
const ours = oursOn(texts);
const yamlOnly = time(() => {
  for (const t of texts) parse(t);
});
console.log(
  `butaneToIgnition + render + parseIgnition: ${ours.toFixed(1)} µs/config (${names.length} configs, ${RUNS} runs)`,
);
console.log(
  `yaml.parse only (baseline A):             ${yamlOnly.toFixed(1)} µs/config  ratio ${(ours / yamlOnly).toFixed(2)}  (the yaml package parsing the same Butane texts, nothing else)`,
);

let tool;
try {
  tool = (await execFileP('sh', ['-c', 'command -v ignition-validate'])).stdout.trim();
} catch {
  tool = '';
}
if (tool) {
  const dir = await mkdtemp(join(tmpdir(), 'mantle-ign-bench-'));
  try {
    // Both sides on the same configs: those ignition-validate accepts (Debian's may lack the
    // newest spec versions), each rendered once, as a CI step validates what it rendered.
    const files = [];
    const subset = [];
    for (const [i, t] of texts.entries()) {
      const file = join(dir, `c${i}.ign`);
      await writeFile(file, core.renderIgnition(core.butaneToIgnition(t, opts).config));
      const ok = await execFileP(tool, [file]).then(
        () => true,
        () => false,
      );
      if (ok) {
        files.push(file);
        subset.push(t);
      } else console.log(`ignition-validate refuses ${names[i]} (its spec version): left out of baseline B`);
    }
    const oursSubset = oursOn(subset);
    const n = 10;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) for (const file of files) await execFileP(tool, [file]);
    const iv = Number(process.hrtime.bigint() - t0) / 1e3 / n / files.length;
    console.log(`ours on those ${files.length} configs:                 ${oursSubset.toFixed(1)} µs/config`);
    console.log(
      `ignition-validate process (baseline B):   ${iv.toFixed(1)} µs/config  ratio ${(oursSubset / iv).toFixed(3)}  (one ignition-validate process per config, the same ${files.length} configs, ${n} rounds)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
} else {
  console.log('ignition-validate not installed (apt-get install ignition): baseline B skipped');
}
