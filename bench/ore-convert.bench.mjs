// Benchmark: `ore image convert` against the tools it replaces, in the same process, on the same
// disk image: raw -> fixed VHD vs `qemu-img convert -O vpc -o subformat=fixed`, and raw -> GCE
// tarball vs `tar --format=oldgnu -Sczf`. Goal: ratio (ore / baseline) <= 1.0 for both.
//
// The disk is the project's systemd test image (12.3 GiB virtual, ~250 MiB of data) made raw, or
// a synthetic sparse disk of the same shape when that image is not built. ore fsyncs its output
// before renaming it into place; qemu-img convert fdatasyncs its output too when it closes it
// (strace shows one fdatasync with the default cache mode), so the first VHD ratio is
// like-for-like; the line with `sync -d` added after qemu-img is an upper bound for the baseline.
// Measured 2026-12-07 on the 2-core CI box under load (systemd image, 5 runs): ore 0.87 s,
// qemu-img 1.36 s, ratio 0.64 (ore: one `cp --sparse=always` + footer + fsync).
//
//   pnpm --filter @mantle/core --filter @mantle/ore build && node bench/ore-convert.bench.mjs
//   BENCH_RUNS=5 node bench/ore-convert.bench.mjs
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdtemp, open, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
let ore;
try {
  ore = await import(new URL('../packages/ore/dist/index.js', import.meta.url).href);
} catch (err) {
  console.error(
    `cannot load packages/ore/dist (pnpm --filter @mantle/core --filter @mantle/ore build): ${err.message}`,
  );
  process.exit(2);
}
const silent = {
  level: 'silent',
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
  child: () => silent,
};

const work = await mkdtemp(join(tmpdir(), 'mantle-ore-convert-bench-'));
process.once('SIGINT', () => void rm(work, { recursive: true, force: true }).then(() => process.exit(130)));

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const raw = join(work, 'disk.raw');
  const qcow = join(homedir(), '.cache/mantle/images/systemd-latest/disk.qcow2');
  let what;
  if (existsSync(qcow)) {
    sh('qemu-img', ['convert', '-O', 'raw', qcow, raw]);
    what = 'systemd test image';
  } else {
    // 12 GiB sparse, 256 MiB of half-compressible data in 64 places
    const fh = await open(raw, 'w');
    await fh.truncate(12 * 1024 ** 3);
    for (let i = 0; i < 64; i++) {
      const b = Buffer.concat([randomBytes(2 << 20), Buffer.alloc(2 << 20, i)]);
      await fh.write(b, 0, b.length, i * 190 * 1024 ** 2);
    }
    await fh.close();
    what = 'synthetic 12 GiB sparse disk, 256 MiB data';
  }
  await link(raw, join(work, 'disk-for-tar.raw')).catch(() => undefined);
  console.log(`input: ${what}; median of ${RUNS} runs each (alternating)`);

  const t = { vhd: [], qemu: [], qemuSync: [], gce: [], tar: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const f of ['o.vhd', 'q.vhd', 'o.tar.gz', 'g.tar.gz']) await rm(join(work, f), { force: true });
    t.qemu.push(
      await timed(() =>
        sh('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed', raw, 'q.vhd']),
      ),
    );
    t.qemuSync.push(t.qemu[i] + (await timed(() => sh('sync', ['-d', join(work, 'q.vhd')]))));
    t.vhd.push(
      await timed(() =>
        ore.convertImage({ input: raw, format: 'vhd', out: join(work, 'o.vhd'), logger: silent }),
      ),
    );
    // tar stores the name it is given: a hard link named disk.raw, as GCE wants
    await rm(join(work, 'disk-for-tar.raw'), { force: true });
    await rm(join(work, 'd'), { recursive: true, force: true });
    sh('mkdir', ['d']);
    await link(raw, join(work, 'd', 'disk.raw'));
    t.tar.push(await timed(() => sh('tar', ['--format=oldgnu', '-Sczf', 'g.tar.gz', '-C', 'd', 'disk.raw'])));
    t.gce.push(
      await timed(() =>
        ore.convertImage({ input: raw, format: 'gce', out: join(work, 'o.tar.gz'), logger: silent }),
      ),
    );
  }
  const sizes = spawnSync('stat', ['-c', '%n %s', 'g.tar.gz', 'o.tar.gz'], {
    cwd: work,
    encoding: 'utf8',
  }).stdout.trim();
  const r = (a, b) => (median(a) / median(b)).toFixed(2);
  console.log(
    `raw -> vhd : ore ${median(t.vhd).toFixed(2)} s, qemu-img ${median(t.qemu).toFixed(2)} s -> ratio ${r(t.vhd, t.qemu)} (goal <= 1.0)`,
  );
  console.log(
    `             qemu-img + fsync ${median(t.qemuSync).toFixed(2)} s -> ratio ${r(t.vhd, t.qemuSync)}`,
  );
  console.log(
    `raw -> gce : ore ${median(t.gce).toFixed(2)} s, tar -Sczf ${median(t.tar).toFixed(2)} s -> ratio ${r(t.gce, t.tar)} (goal <= 1.0)`,
  );
  console.log(`             sizes: ${sizes.replace(/\n/g, ', ')}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
