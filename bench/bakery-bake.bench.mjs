// Benchmark: `bakery bake IMAGE a:A.raw b:B.raw c:C.raw` (the built bin, as an unprivileged tool:
// GPT read in userspace, sparse copy, debugfs writes at the ROOT offset, e2fsck -fn, rename) on a
// 4.5 GiB sparse Flatcar-layout image, against
//   1. what sysext-bakery's bake_flatcar_image.sh does as root: sparse copy, loop device at the ROOT
//      offset, mount, cp, ln -s, umount (only when running as root with loop devices), and
//   2. the floor: `cp --sparse=always` of the image alone (bake copies it to stay atomic).
// Best of BENCH_RUNS each; prints seconds and ratios. bakery itself never needs root.
//
//   pnpm --filter @mantle/core --filter @mantle/bakery build && node bench/bakery-bake.bench.mjs
//   BENCH_SYSEXT_MB=40 BENCH_RUNS=3 node bench/bakery-bake.bench.mjs
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SYSEXT_MB = Number(process.env.BENCH_SYSEXT_MB ?? 40);
const execFileP = promisify(execFile);
const bakery = fileURLToPath(new URL('../packages/bakery/dist/cli.js', import.meta.url));

let core;
try {
  core = await import(new URL('../packages/core/dist/index.js', import.meta.url).href);
  await stat(bakery);
} catch {
  console.error('build first: pnpm --filter @mantle/core --filter @mantle/bakery build');
  process.exit(2);
}
const { FLATCAR_LAYOUT_CONFIG, parseLayoutConfig, createDiskImage, partitionRef } = core;

const work = await mkdtemp(join(tmpdir(), 'mantle-bench-bake-'));
const run = (cmd, args) => execFileP(cmd, args, { maxBuffer: 64 << 20 });
try {
  // Flatcar's table with 1 GiB USR slots so the disk is 4.5 GiB; ROOT takes the rest.
  const SECTORS = (4608 * 1024 * 1024) / 512;
  const cfg = structuredClone(FLATCAR_LAYOUT_CONFIG);
  const b = cfg.layouts.base;
  b['1'].blocks = '262144';
  b['3'].blocks = '2097152';
  delete b['3'].fs_blocks;
  b['4'].blocks = '2097152';
  delete b['4'].fs_blocks;
  b['6'].blocks = '262144';
  b['6'].fs_type = 'ext4';
  b['7'].blocks = '131072';
  const used = 262144 + 4096 + 2097152 * 2 + 262144 + 131072;
  b['9'].blocks = String(Math.floor((SECTORS - used - 65536) / 4096) * 4096);
  const layout = parseLayoutConfig(cfg, { source: 'bench' });
  const rootfs = join(work, 'rootfs');
  await mkdir(join(rootfs, 'etc/extensions'), { recursive: true });
  await writeFile(join(rootfs, 'etc/motd'), 'bench\n');
  const image = join(work, 'flatcar.img');
  await createDiskImage({ out: image, layout, size: SECTORS * 512, fill: { ROOT: { dir: rootfs } } });
  const root = await partitionRef(image, 'ROOT');
  console.log(
    `image: ${((SECTORS * 512) / 1024 ** 3).toFixed(1)} GiB sparse, ROOT ${(root.size / 1024 ** 3).toFixed(2)} GiB at byte ${root.offset}`,
  );

  const sysexts = [];
  for (const name of ['alpha', 'beta', 'gamma']) {
    const src = join(work, `src-${name}`);
    await mkdir(join(src, 'usr/share', name), { recursive: true });
    await writeFile(join(src, 'usr/share', name, 'blob'), randomBytes(SYSEXT_MB * 1024 * 1024));
    await run(process.execPath, [
      bakery,
      'create',
      name,
      '--from',
      src,
      '--version',
      '1.0',
      '--out',
      join(work, 'sysexts'),
      '--compression',
      'lz4',
    ]);
    sysexts.push({ name, file: join(work, 'sysexts', `${name}-1.0-x86-64.raw`) });
  }
  console.log(`sysexts: 3 × ${SYSEXT_MB} MiB (incompressible)`);

  const isRoot = process.getuid?.() === 0;
  const rootBaseline = async (i) => {
    const copy = join(work, `loop-${i}.img`);
    const mnt = join(work, `mnt-${i}`);
    await run('cp', ['--sparse=always', image, copy]);
    const { stdout } = await run('losetup', [
      '--find',
      '--show',
      '--offset',
      String(root.offset),
      '--sizelimit',
      String(root.size),
      copy,
    ]);
    const dev = stdout.trim();
    try {
      await mkdir(mnt, { recursive: true });
      await run('mount', [dev, mnt]);
      try {
        for (const s of sysexts) {
          await mkdir(join(mnt, 'opt/extensions', s.name), { recursive: true });
          await run('cp', [s.file, join(mnt, 'opt/extensions', s.name)]);
          await run('ln', [
            '-sf',
            `/opt/extensions/${s.name}/${s.name}-1.0-x86-64.raw`,
            join(mnt, 'etc/extensions', `${s.name}.raw`),
          ]);
        }
      } finally {
        await run('umount', [mnt]);
      }
    } finally {
      await run('losetup', ['-d', dev]);
    }
    await rm(copy, { force: true });
  };
  const cpOnly = async (i) => {
    const copy = join(work, `cp-${i}.img`);
    await run('cp', ['--sparse=always', image, copy]);
    await rm(copy, { force: true });
  };
  const ours = async (i) => {
    const out = join(work, `baked-${i}.img`);
    await run(process.execPath, [
      bakery,
      'bake',
      image,
      ...sysexts.map((s) => `${s.name}:${s.file}`),
      '--out',
      out,
    ]);
    await rm(out, { force: true });
  };

  let loopWorks = isRoot;
  if (loopWorks) {
    try {
      await rootBaseline('probe');
    } catch (err) {
      loopWorks = false;
      console.log(`root + loop-mount baseline unavailable here: ${err.message.split('\n')[0]}`);
    }
  }
  const rows = [
    ['bakery bake (no root)', ours],
    ['cp --sparse=always only', cpOnly],
    ...(loopWorks ? [['root: loop mount + cp', rootBaseline]] : []),
  ];
  const best = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [label, fn] of rows) {
      const t = process.hrtime.bigint();
      await fn(i);
      const s = Number(process.hrtime.bigint() - t) / 1e9;
      best[label] = Math.min(best[label] ?? Infinity, s);
    }
  }
  for (const [label] of rows) console.log(`${label.padEnd(26)} best ${best[label].toFixed(2)} s`);
  const ourBest = best['bakery bake (no root)'];
  console.log(
    `ratio bakery / cp-only floor:        ${(ourBest / best['cp --sparse=always only']).toFixed(2)}`,
  );
  if (loopWorks)
    console.log(
      `ratio bakery / root loop-mount bake:  ${(ourBest / best['root: loop mount + cp']).toFixed(2)}`,
    );
  console.log(`bakery ran as uid ${process.getuid?.()} but needs no root: no losetup, no mount, no sudo`);
} finally {
  await rm(work, { recursive: true, force: true });
}
