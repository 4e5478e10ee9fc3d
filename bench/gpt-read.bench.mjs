// Benchmark: reading the GPT of a 10 GiB sparse image (made with the Flatcar layout through
// @mantle/core) with readGpt — both copies checked, CRCs verified — against `sfdisk -d` on the same
// file, measured in the same process as the mean of N runs each. sfdisk pays a process start per
// read; readGpt pays a file open and a few positioned reads. Also times formatting the result as
// `sfdisk -d` text, which is what `ore image info` prints.
//
//   pnpm --filter @mantle/core build && node bench/gpt-read.bench.mjs
//   BENCH_RUNS=200 node bench/gpt-read.bench.mjs
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const execFileP = promisify(execFile);

let core;
try {
  core = await import(new URL('../packages/core/dist/index.js', import.meta.url).href);
} catch (err) {
  console.error(
    `cannot load packages/core/dist (build it first: pnpm --filter @mantle/core build): ${err.message}`,
  );
  process.exit(2);
}
const { builtinLayout, createLayoutImage, formatSfdiskDump, readGpt, findTool } = core;

const sfdisk = await findTool('sfdisk');
if (!sfdisk) {
  console.error('sfdisk is missing: apt-get install fdisk');
  process.exit(3);
}

const dir = await mkdtemp(join(tmpdir(), 'mantle-bench-gpt-'));
try {
  const img = join(dir, 'flatcar-10g.img');
  await createLayoutImage({ out: img, layout: builtinLayout('flatcar'), size: 10 * 1024 ** 3 });
  const st = await stat(img);
  console.log(
    `image: ${(st.size / 1024 ** 3).toFixed(0)} GiB sparse (${st.blocks * 512} bytes allocated), Flatcar layout`,
  );

  // Sanity: both read the same table.
  const ours = formatSfdiskDump(await readGpt(img));
  const { stdout: theirs } = await execFileP(sfdisk, ['-d', img]);
  if (ours !== theirs) throw new Error('readGpt and sfdisk -d disagree:\n' + ours + '\n---\n' + theirs);

  async function measure(label, fn) {
    await fn(); // warm caches
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      await fn();
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    samples.sort((a, b) => a - b);
    return {
      label,
      mean: samples.reduce((s, x) => s + x, 0) / RUNS,
      median: samples[Math.floor(RUNS / 2)],
      min: samples[0],
    };
  }

  const rows = [
    await measure('sfdisk -d', () => execFileP(sfdisk, ['-d', img])),
    await measure('readGpt', () => readGpt(img)),
    await measure('readGpt+format', async () => formatSfdiskDump(await readGpt(img))),
  ];
  const base = rows[0];
  console.log(`GPT read, mean of ${RUNS} runs each (median, min)`);
  for (const r of rows) {
    const ratio = r === base ? '  (baseline)' : `  ${(base.mean / r.mean).toFixed(1)}x faster than sfdisk -d`;
    console.log(
      `  ${r.label.padEnd(15)} ${r.mean.toFixed(3).padStart(8)} ms (${r.median.toFixed(3)}, ${r.min.toFixed(3)})${ratio}`,
    );
  }
  console.log(`ratio sfdisk -d / readGpt: ${(base.mean / rows[1].mean).toFixed(1)}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
