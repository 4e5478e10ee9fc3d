// Benchmark: pilot's launchers against what they wrap, in the same process (sequential runs,
// means of N, wall and CPU time of the children):
//   1. podman-pilot `true`      vs  `podman run --rm IMAGE true`        goal ≤ 1.05×
//  1b. the same through podman's REST API (a service running: the default path then) and
//      through the CLI (MANTLE_PILOT_PODMAN_API=off) vs the same baseline
//   2. resume-mode call         vs  a cold call (a new container)      goal ≤ 0.5×
//   3. bwrap-pilot `true`       vs  podman-pilot `true` (same busybox tree as image / rootfs)
//   4. vm-pilot cold start→exit vs  plain qemu, same kernel + initrd, an init that powers off
// Needs root (rootful podman), podman+runc+catatonit, bubblewrap, qemu and the tiny image
// (images/tiny/build.sh); uses a private root (MANTLE_PILOT_ROOT) and podman storage in a temp dir.
//
//   pnpm --filter @mantle/core --filter @mantle/pilot build && node bench/pilot.bench.mjs
//   BENCH_RUNS=20 BENCH_VM_RUNS=5 node bench/pilot.bench.mjs
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const VM_RUNS = Number(process.env.BENCH_VM_RUNS ?? 3);
const dist = fileURLToPath(new URL('../packages/pilot/dist/', import.meta.url));
if (!existsSync(join(dist, 'podman-pilot.js'))) {
  console.error(`${dist} is not built: pnpm --filter @mantle/core --filter @mantle/pilot build`);
  process.exit(2);
}

// CPU time (user + sys) of waited-for children, from /proc/self/stat (cutime, cstime; 100 Hz ticks)
function childCpuMs() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[13]) + Number(f[14])) * 10;
}

function time(cmd, args, env) {
  const c0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, cpu: childCpuMs() - c0 };
}

/** Interleave the cases run by run, so load changes hit them alike. */
function measure(cases, runs) {
  for (const c of cases) time(c.cmd, c.args, c.env); // warm caches (and the flake cache)
  const samples = new Map(cases.map((c) => [c.label, []]));
  for (let i = 0; i < runs; i++)
    for (const c of cases) {
      samples.get(c.label).push(time(c.cmd, c.args, c.env));
      c.settle?.(); // untimed: what a case leaves to finish after it (the next case must not pay for it)
    }
  return cases.map((c) => {
    const s = samples.get(c.label);
    const wall = s.map((x) => x.ms).sort((a, b) => a - b);
    return {
      label: c.label,
      mean: wall.reduce((a, b) => a + b, 0) / wall.length,
      median: wall[Math.floor(wall.length / 2)],
      cpu: s.reduce((a, b) => a + b.cpu, 0) / s.length,
    };
  });
}

function report(title, rows, goal) {
  const [base, ...rest] = rows;
  console.log(`${title} (${goal})`);
  for (const r of rows) {
    const ratio =
      r === base
        ? 'baseline'
        : `${(r.mean / base.mean).toFixed(2)}x wall, ${(r.median / base.median).toFixed(2)}x median, ${(r.cpu / base.cpu).toFixed(2)}x CPU`;
    console.log(
      `  ${r.label.padEnd(34)} ${r.mean.toFixed(0).padStart(6)} ms (median ${r.median.toFixed(0)}), cpu ${r.cpu.toFixed(0).padStart(5)} ms  ${ratio}`,
    );
  }
  void rest;
}

const dir = mkdtempSync(join(tmpdir(), 'pilot-bench-'));
/** the podman API service of comparison 1b */
let service;
chmodSync(dir, 0o755);
const root = join(dir, 'root');
const sh = (cmd, args, env = process.env) => {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
try {
  mkdirSync(join(root, 'etc', 'flakes'), { recursive: true });
  const storage = join(root, 'etc', 'flakes', 'storage.conf');
  writeFileSync(
    storage,
    `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/graph"\nrunroot = "${dir}/run"\n`,
  );
  writeFileSync(
    join(dir, 'containers.conf'),
    '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\ninit_path = "/usr/bin/catatonit"\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "none"\n',
  );
  writeFileSync(
    join(root, 'etc', 'flakes.yml'),
    'generic:\n  podman_storage_conf: /etc/flakes/storage.conf\n',
  );
  const env = {
    ...process.env,
    MANTLE_PILOT_ROOT: root,
    MANTLE_CACHE_DIR: join(dir, 'cache'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: storage,
  };
  // the image and the bwrap root: the host's static busybox
  const tree = join(root, 'srv', 'bb');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'dev']) mkdirSync(join(tree, d), { recursive: true });
  copyFileSync('/bin/busybox', join(tree, 'bin', 'busybox'));
  chmodSync(join(tree, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'true', 'sleep']) symlinkSync('busybox', join(tree, 'bin', a));
  sh('tar', ['-C', tree, '-cf', join(dir, 'bb.tar'), '.']);
  const image = 'localhost/pilot-bench:latest';
  sh('podman', ['import', '--quiet', join(dir, 'bb.tar'), image], env);
  const pilot = (args) => sh(process.execPath, [join(dist, 'cli.js'), ...args], env);
  pilot([
    'podman',
    'register',
    '--container',
    image,
    '--app',
    '/usr/bin/ptrue',
    '--target',
    '/bin/true',
    '--opt=--network none',
  ]);
  pilot([
    'podman',
    'register',
    '--container',
    image,
    '--app',
    '/usr/bin/rtrue',
    '--target',
    '/bin/true',
    '--resume',
    '--opt=--network none',
  ]);
  pilot(['bwrap', 'register', '--rootfs', '/srv/bb', '--app', '/usr/bin/btrue', '--target', '/bin/true']);
  const app = (p) => join(root, p);

  const run = (label, cmd, args = []) => ({ label, cmd, args, env });
  const podmanRun = run('podman run --rm IMAGE true', 'podman', [
    'run',
    '--rm',
    '--network',
    'none',
    image,
    'true',
  ]);
  const plain = run('podman-pilot true (no service: CLI)', app('/usr/bin/ptrue'));
  // 1b. the same call through podman's REST API: a service of the bench's own (running for
  // every case of the comparison, so the baseline pays for its presence too)
  const socket = join(dir, 'podman-api.sock');
  service = spawn('podman', ['system', 'service', '--time', '0', `unix://${socket}`], {
    env,
    stdio: 'ignore',
  });
  for (let i = 0; i < 600 && !existsSync(socket); i++) spawnSync('sleep', ['0.1']);
  const viaCli = {
    ...plain,
    label: 'podman-pilot true, CLI path',
    env: { ...env, MANTLE_PILOT_PODMAN_API: 'off' },
  };
  const viaApi = {
    ...plain,
    label: 'podman-pilot true, REST API path',
    env: { ...env, CONTAINER_HOST: `unix://${socket}` },
    // the launcher leaves the removal of the ended container to the service: wait for it
    settle: () => {
      for (let i = 0; i < 600; i++) {
        const left = spawnSync('podman', ['ps', '--all', '--quiet'], { env, encoding: 'utf8' });
        if (left.status !== 0 || left.stdout.trim() === '') return;
      }
    },
  };
  const comparisons = [
    // node -e 0: what any launcher written for Node pays before its first line runs
    [
      '1. podman-pilot `true` vs podman run --rm',
      'goal <= 1.05x',
      [podmanRun, plain, run('node -e 0 (floor)', process.execPath, ['-e', '0'])],
    ],
    [
      '1b. podman-pilot through the REST API vs podman run --rm (service running)',
      'goal <= 1.05x',
      [podmanRun, viaCli, viaApi],
    ],
    [
      '2. resume call vs cold call',
      'goal <= 0.5x',
      [plain, run('resume call (exec in running container)', app('/usr/bin/rtrue'))],
    ],
    [
      '3. bwrap-pilot vs podman-pilot, same tree',
      'ratio',
      [plain, run('bwrap-pilot true', app('/usr/bin/btrue'))],
    ],
  ];
  const only = process.env.BENCH_ONLY; // e.g. BENCH_ONLY=4 for the VM comparison alone
  for (const [title, goal, cases] of comparisons)
    if (!only || title.startsWith(only)) report(title, measure(cases, RUNS), goal);

  // 4. vm-pilot: the tiny image; the baseline boots the same kernel and initrd with an init that
  // powers off at once, under the same qemu settings (microvm, TCG unless KVM works)
  const cache =
    process.env.MANTLE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mantle');
  const tiny = join(cache, 'images', 'tiny-latest');
  if (only && only !== '4') console.log('4. skipped (BENCH_ONLY)');
  else if (!existsSync(join(tiny, 'vmlinuz')))
    console.log('4. skipped: no tiny image (images/tiny/build.sh)');
  else {
    pilot([
      'vm',
      'pull',
      '--name',
      'tiny',
      '--kernel',
      join(tiny, 'vmlinuz'),
      '--initrd',
      join(tiny, 'initrd.img'),
    ]);
    pilot(['vm', 'register', '--vm', 'tiny', '--app', '/usr/bin/vtrue', '--target', '/bin/true', '--no-net']);
    const ir = join(dir, 'ir');
    mkdirSync(ir);
    writeFileSync(join(ir, 'init'), '#!/bin/sh\n/bin/busybox reboot -f\n', { mode: 0o755 });
    const cpio = spawnSync('sh', ['-c', 'echo init | cpio -o -H newc'], { cwd: ir });
    const initrd = readFileSync(join(tiny, 'initrd.img'));
    const pad = Buffer.alloc((512 - (initrd.length % 512)) % 512);
    writeFileSync(join(dir, 'baseline.img'), Buffer.concat([initrd, pad, cpio.stdout]));
    sh(app('/usr/bin/vtrue'), [], env); // boots once: the KVM probe's answer is then cached
    const probe =
      JSON.parse(readFileSync(join(dir, 'cache', 'pilot', 'vm', 'accel.json'), 'utf8') || '{}').choice
        ?.accel ?? 'tcg';
    const khz = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    const append = `console=ttyS0 loglevel=3 panic=-1 reboot=t${probe === 'tcg' && khz ? ` tsc_early_khz=${Math.round(Number(khz[1]) * 1000)}` : ''}`;
    const qemu = [
      '-accel',
      probe,
      '-M',
      'microvm',
      '-m',
      '4096',
      '-smp',
      '2',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-no-reboot',
    ];
    qemu.push(
      '-kernel',
      join(tiny, 'vmlinuz'),
      '-initrd',
      join(dir, 'baseline.img'),
      '-append',
      append,
      '-serial',
      `file:${join(dir, 'console.txt')}`,
    );
    report(
      `4. vm-pilot cold start to exit vs plain qemu (${probe})`,
      measure(
        [
          { label: 'qemu, same kernel+initrd, init exits', cmd: 'qemu-system-x86_64', args: qemu, env },
          { label: 'vm-pilot true', cmd: app('/usr/bin/vtrue'), args: [], env },
        ],
        VM_RUNS,
      ),
      'ratio',
    );
  }
} finally {
  if (service) {
    service.kill('SIGTERM');
    // it holds the storage's mounts until it is gone (a zombie: this synchronous script reaps it at exit)
    const gone = () => {
      try {
        return readFileSync(`/proc/${service.pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
      } catch {
        return true;
      }
    };
    for (let i = 0; i < 300 && !gone(); i++) spawnSync('sleep', ['0.1']);
  }
  spawnSync('podman', ['rm', '--all', '--force', '--time', '0'], {
    env: {
      ...process.env,
      CONTAINERS_STORAGE_CONF: join(root, 'etc', 'flakes', 'storage.conf'),
      CONTAINERS_CONF: join(dir, 'containers.conf'),
    },
  });
  spawnSync('podman', ['image', 'rm', '--all', '--force'], {
    env: {
      ...process.env,
      CONTAINERS_STORAGE_CONF: join(root, 'etc', 'flakes', 'storage.conf'),
      CONTAINERS_CONF: join(dir, 'containers.conf'),
    },
  });
  rmSync(dir, { recursive: true, force: true });
}
