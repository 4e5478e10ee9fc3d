// Benchmark: `plume publish-image` of a 1 GiB rootfs into a file:// image store, against doing it
// by hand as metal-images does: `tar -I lz4 -cf img.tar.lz4 -C rootfs .` then `md5sum`. The rootfs
// is real files copied from /usr (binaries, libraries, text); plume reads it as the tarball a
// `docker export` gives, so the tarball is made once beforehand and not timed. Both are timed in
// this process, alternating, best of BENCH_RUNS (default 3). Goal: ratio <= 1.1.
//
//   pnpm --filter @mantle/plume... build && node bench/plume-publish-image.bench.mjs
//   BENCH_SIZE_MIB=256 node bench/plume-publish-image.bench.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * 1024 * 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

let plume, storage;
try {
  plume = await import(new URL('../packages/plume/dist/index.js', import.meta.url).href);
  storage = await import(new URL('../packages/ore/dist/storage.js', import.meta.url).href);
} catch (err) {
  console.error(`build first (pnpm --filter @mantle/plume... build): ${err.message}`);
  process.exit(2);
}
for (const tool of ['tar', 'lz4', 'md5sum'])
  if (spawnSync(tool, ['--version']).error) {
    console.error(`${tool} is missing (apt-get install tar lz4 coreutils)`);
    process.exit(3);
  }

const work = await mkdtemp(join(tmpdir(), 'plume-image-bench-'));
process.once('SIGINT', () => void rm(work, { recursive: true, force: true }).then(() => process.exit(130)));
try {
  const rootfs = join(work, 'rootfs');
  let total = 0;
  async function copyTree(src) {
    for (const e of await readdir(src, { withFileTypes: true })) {
      if (total >= SIZE) return;
      const p = join(src, e.name);
      if (e.isDirectory()) await copyTree(p);
      else if (e.isFile()) {
        const st = await stat(p);
        if (st.size > 64 << 20) continue;
        const dst = join(rootfs, relative('/usr', p));
        await mkdir(dirname(dst), { recursive: true });
        await copyFile(p, dst);
        total += st.size;
      }
    }
  }
  await copyTree('/usr');
  const tarball = join(work, 'rootfs.tar');
  execFileSync('tar', ['-cf', tarball, '-C', rootfs, '.']);
  const tarBytes = (await stat(tarball)).size;

  const byHand = () => {
    const out = join(work, 'hand', 'img.tar.lz4');
    execFileSync('mkdir', ['-p', dirname(out)]);
    const t = process.hrtime.bigint();
    execFileSync('tar', ['-I', 'lz4', '-cf', out, '-C', rootfs, '.']);
    const md5 = execFileSync('md5sum', [out]).toString();
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', `${out}.md5`], { input: md5 });
    return Number(process.hrtime.bigint() - t) / 1e9;
  };
  const withPlume = async () => {
    const store = await storage.openStore(join(work, 'store'));
    const t = process.hrtime.bigint();
    const r = await plume.publishImage({ rootfs: tarball, os: 'debian', version: '12.0.20261207', store });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    await store.close();
    return { s, r };
  };

  let hand = Infinity;
  let ours = Infinity;
  let last;
  for (let i = 0; i < RUNS; i++) {
    hand = Math.min(hand, byHand());
    const p = await withPlume();
    ours = Math.min(ours, p.s);
    last = p.r;
  }
  const mib = tarBytes / 1048576;
  console.log(
    `rootfs: ${mib.toFixed(0)} MiB tarball, ${last.members} members; img.tar.lz4 ${(last.image.bytes / 1048576).toFixed(0)} MiB`,
  );
  console.log(
    `by hand (tar -I lz4 + md5sum)   ${hand.toFixed(2).padStart(7)} s  ${(mib / hand).toFixed(0).padStart(5)} MiB/s`,
  );
  console.log(
    `plume publish-image            ${ours.toFixed(2).padStart(7)} s  ${(mib / ours).toFixed(0).padStart(5)} MiB/s`,
  );
  console.log(`ratio plume / by hand: ${(ours / hand).toFixed(2)} (goal <= 1.1)`);
} finally {
  await rm(work, { recursive: true, force: true });
}
