// Benchmark: `plume index` (buildIndexes) over a file store of 10,000 objects in 200 directories:
// the first run (every page written), a second run over the unchanged store (goal: 0 pages
// rewritten), and a run after one object changed (goal: 1 page). Baseline in the same process: a
// recursive readdir + stat of the same tree, the least any indexer has to read.
//
//   pnpm --filter @mantle/plume... build && node bench/plume-index.bench.mjs
//   BENCH_OBJECTS=2000 node bench/plume-index.bench.mjs
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 10_000);
const PER_DIR = 50;

let plume, storage;
try {
  plume = await import(new URL('../packages/plume/dist/index.js', import.meta.url).href);
  storage = await import(new URL('../packages/ore/dist/storage.js', import.meta.url).href);
} catch (err) {
  console.error(`build first (pnpm --filter @mantle/plume... build): ${err.message}`);
  process.exit(2);
}

const root = await mkdtemp(join(tmpdir(), 'plume-index-bench-'));
process.once('SIGINT', () => void rm(root, { recursive: true, force: true }).then(() => process.exit(130)));
try {
  // boards/versions/files, like a release bucket
  for (let i = 0; i < OBJECTS; i++) {
    const d = join(root, `board-${i % 2}`, `v${Math.floor(i / PER_DIR)}`);
    if (i % PER_DIR < 2) await mkdir(d, { recursive: true });
    await writeFile(join(d, `file-${i}.bin`), String(i));
  }

  async function walk(dir) {
    let n = 0;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) n += await walk(p);
      else {
        await stat(p);
        n++;
      }
    }
    return n;
  }
  const time = async (fn) => {
    const t = process.hrtime.bigint();
    const r = await fn();
    return { r, s: Number(process.hrtime.bigint() - t) / 1e9 };
  };

  const base = await time(() => walk(root));
  const store = await storage.openStore(root);
  const first = await time(() => plume.buildIndexes(store));
  const second = await time(() => plume.buildIndexes(store));
  await writeFile(join(root, 'board-1', 'v3', 'file-new.bin'), 'new');
  const third = await time(() => plume.buildIndexes(store));
  await store.close();

  const row = (name, t) =>
    console.log(
      `${name.padEnd(28)} ${t.s.toFixed(2).padStart(7)} s  ${(t.s / base.s).toFixed(1).padStart(6)}x walk` +
        (t.r.written !== undefined ? `  pages ${t.r.pages.length}, rewritten ${t.r.written}` : ''),
    );
  console.log(`plume index over ${base.r} objects (${first.r.pages.length} directories)`);
  row('baseline: readdir+stat walk', base);
  row('first run', first);
  row('second run (unchanged)', second);
  row('after one new object', third);
  console.log(`objects rewritten on the second run: ${second.r.written} (goal 0)`);
  if (second.r.written !== 0 || third.r.written !== 1) process.exitCode = 1;
} finally {
  await rm(root, { recursive: true, force: true });
}
