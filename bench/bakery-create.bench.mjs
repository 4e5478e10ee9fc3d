// Benchmark: `bakery create NAME --from TREE` (the built bin: tree validation, metadata and drop-in
// generation through mksquashfs pseudo files, reproducible flags, sha256 + SHA256SUMS) against
// `mksquashfs TREE OUT` with the flags bakery passes (BAKERY_FLAGS below) on the same ~700 MB tree of mixed files copied from
// /usr/share and /usr/lib once into a temp dir. Runs alternate (baseline, bakery, baseline, ...) and
// the best of BENCH_RUNS each is compared; goal: ratio ≤ 1.03. Both use gzip, the default.
// On a shared 2-core machine wall time swings by ±40 % with other load, so the CPU time (user+sys
// of the whole process tree, from GNU time) is reported too and is the steadier ratio.
//
//   pnpm --filter @mantle/core --filter @mantle/bakery build && node bench/bakery-create.bench.mjs
//   BENCH_MB=200 BENCH_RUNS=3 node bench/bakery-create.bench.mjs
import { execFile } from 'node:child_process';
import {
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const MB = Number(process.env.BENCH_MB ?? 700);
// The flags bakery's squashfs build passes (packages/bakery/src/build/squashfs.ts), minus only the
// pseudo file of generated metadata: the baseline does the same compression work, the same way.
const EPOCH = '1700000000';
const BAKERY_FLAGS = [
  '-noappend',
  '-all-root',
  '-no-xattrs',
  '-mkfs-time',
  EPOCH,
  '-all-time',
  EPOCH,
  '-no-progress',
  '-quiet',
];
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const execFileP = promisify(execFile);
const bakery = fileURLToPath(new URL('../packages/bakery/dist/cli.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';
const hasTime = await stat(GNU_TIME).then(
  () => true,
  () => false,
);

// Run a command, returning its CPU seconds (user+sys of it and its children) when GNU time is there.
async function timed(cmd, args, timesFile) {
  if (!hasTime) {
    await execFileP(cmd, args, { maxBuffer: 64 << 20 });
    return undefined;
  }
  await execFileP(GNU_TIME, ['-f', '%U %S', '-o', timesFile, cmd, ...args], { maxBuffer: 64 << 20 });
  const [u, s] = (await readFile(timesFile, 'utf8')).trim().split(/\s+/).slice(-2).map(Number);
  return u + s;
}

try {
  await stat(bakery);
} catch {
  console.error('build first: pnpm --filter @mantle/core --filter @mantle/bakery build');
  process.exit(2);
}

const work = await mkdtemp(join(tmpdir(), 'mantle-bench-bakery-'));
const tree = join(work, 'tree');
let files = 0;
let bytes = 0;

// Copy regular files and in-tree symlinks from a host directory until the byte budget is spent.
async function fill(src, destRel, budget) {
  let entries;
  try {
    entries = await readdir(src, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    if (bytes >= budget) return;
    const s = join(src, e.name);
    const rel = posix.join(destRel, e.name);
    const d = join(tree, rel);
    if (e.isDirectory()) {
      await fill(s, rel, budget);
    } else if (e.isFile()) {
      const st = await lstat(s);
      if (st.mode & 0o6000 || st.size > 64 * 1024 * 1024) continue;
      await mkdir(dirname(d), { recursive: true });
      await copyFile(s, d);
      files++;
      bytes += st.size;
    } else if (e.isSymbolicLink()) {
      const t = await readlink(s);
      const resolved = posix.normalize(posix.join(posix.dirname(rel), t));
      if (t.startsWith('/') || resolved.startsWith('..')) continue;
      await mkdir(dirname(d), { recursive: true });
      await symlink(t, d);
    }
  }
}

try {
  const t0 = Date.now();
  await fill('/usr/share', 'usr/share', MB * 0.55 * 1024 * 1024);
  await fill('/usr/lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', MB * 1024 * 1024);
  await fill('/usr/lib', 'usr/lib', MB * 1024 * 1024);
  console.log(
    `tree: ${files} files, ${(bytes / 1024 / 1024).toFixed(0)} MiB (made in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const baseline = async (i) => {
    const out = join(work, `plain-${i}.sqfs`);
    const cpu = await timed('mksquashfs', [tree, out, ...BAKERY_FLAGS], join(work, 'times'));
    return { out, cpu };
  };
  const ours = async (i) => {
    const outDir = join(work, `bakery-${i}`);
    const cpu = await timed(
      process.execPath,
      [bakery, 'create', 'bench', '--from', tree, '--version', '1.0', '--out', outDir, '--json'],
      join(work, 'times'),
    );
    return { out: join(outDir, 'bench-1.0-x86-64.raw'), cpu };
  };
  const times = { plain: [], bakery: [] };
  const cpus = { plain: [], bakery: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const [label, fn] of [
      ['plain', baseline],
      ['bakery', ours],
    ]) {
      const t = process.hrtime.bigint();
      const { out, cpu } = await fn(i);
      const s = Number(process.hrtime.bigint() - t) / 1e9;
      times[label].push(s);
      if (cpu !== undefined) cpus[label].push(cpu);
      const size = (await stat(out)).size;
      console.log(
        `  run ${i + 1} ${label.padEnd(6)} ${s.toFixed(2)} s wall${cpu !== undefined ? `, ${cpu.toFixed(2)} s CPU` : ''}  ${(size / 1024 / 1024).toFixed(1)} MiB`,
      );
      await rm(out, { force: true });
    }
  }
  const best = (a) => Math.min(...a);
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(
    `baseline: mksquashfs ${BAKERY_FLAGS.join(' ')} (bakery's flags, no pseudo file)\nmksquashfs: wall best ${best(times.plain).toFixed(2)} s, median ${median(times.plain).toFixed(2)} s${cpus.plain.length ? `; CPU best ${best(cpus.plain).toFixed(2)} s` : ''}`,
  );
  console.log(
    `bakery create:                  wall best ${best(times.bakery).toFixed(2)} s, median ${median(times.bakery).toFixed(2)} s${cpus.bakery.length ? `; CPU best ${best(cpus.bakery).toFixed(2)} s` : ''}`,
  );
  console.log(
    `ratio bakery/mksquashfs, wall (best): ${(best(times.bakery) / best(times.plain)).toFixed(3)} (goal ≤ 1.03)`,
  );
  if (cpus.plain.length)
    console.log(
      `ratio bakery/mksquashfs, CPU  (best): ${(best(cpus.bakery) / best(cpus.plain)).toFixed(3)} (goal ≤ 1.03)`,
    );
} finally {
  await rm(work, { recursive: true, force: true });
}
