#!/usr/bin/env node
// Boot-to-SSH of the systemd test image (images/systemd) against a plain Debian systemd system
// that mmdebstrap made (ENVIRONMENT.md's recipe: minbase + systemd, systemd-sysv, openssh-server,
// iproute2, udev, dbus; systemd-networkd with a static address), booted by hand with the same
// kernel, qemu, accelerator and machine (kola's defaults: q35, TCG, -cpu max, 512 MiB, 1 vCPU,
// virtio disk through a throwaway overlay, user network, virtio-rng).
//
// Each round boots the two side by side (at most two qemu at a time), so both see the same host
// load; a round's ratio is image / baseline, and the result is the median of the rounds' ratios
// (goal ≤ 1.3). Measured per machine: wall time from qemu's start to the first `ssh true` that
// succeeds (OpenSSH client, the same for both), the qemu process's CPU time at that moment (less
// sensitive to other load than wall time), and the time until `systemctl is-system-running --wait`
// returned.
//
// Needs root (mmdebstrap --mode=root; the baseline is cached under
// ${MANTLE_CACHE_DIR:-~/.cache/mantle}/bench/plain-systemd-<key>/), mmdebstrap, e2fsprogs,
// qemu-utils, cpio, ssh, and the systemd image (images/systemd/build.sh).
//
// Usage: node bench/systemd-boot.bench.mjs [rounds]     (default 3)
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kolaLikeQemuArgs } from './lib/qemu-args.mjs';

const rounds = Number(process.argv[2] ?? 3);
const cacheRoot =
  process.env.MANTLE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mantle');
const imageDir = join(cacheRoot, 'images', 'systemd-latest');
const PACKAGES = ['systemd', 'systemd-sysv', 'openssh-server', 'iproute2', 'udev', 'dbus'];
const PLAIN_CMDLINE = 'console=ttyS0 net.ifnames=0 loglevel=4';
// The baseline's /init: the cloud kernel's virtio modules (taken from the systemd image's own
// initramfs, which carries the same kernel's), mount /dev/vda, switch_root. Nothing else.
const PLAIN_INIT = `#!/bin/sh
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
d=/usr/lib/modules/$(uname -r)
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk virtio_rng failover net_failover virtio_net; do insmod $d/$m.ko; done
while [ ! -b /dev/vda ]; do usleep 20000; done
mount -o rw /dev/vda /newroot
mount --move /dev /newroot/dev; mount --move /proc /newroot/proc; mount --move /sys /newroot/sys
exec switch_root /newroot /sbin/init
`;
const NETWORK = '[Match]\nName=eth0\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\nDNS=10.0.2.3\n';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sh = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });

// The host's apt source files for bookworm, handed to mmdebstrap as they are (as build.sh does).
function aptSources() {
  const d = '/etc/apt/sources.list.d';
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync(d) ? readdirSync(d).filter((f) => /\.(list|sources)$/.test(f)) : []).map((f) =>
      join(d, f),
    ),
  ];
  return files.filter((f) => existsSync(f) && /bookworm/.test(readFileSync(f, 'utf8')));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The plain baseline: rootfs tarball → customised → ext4 → qcow2; the initramfs from the image's.
async function baseline(manifest, work) {
  const sources = aptSources();
  if (sources.length === 0) throw new Error('no apt source for bookworm in /etc/apt/sources.list{,.d}');
  const key = createHash('sha256')
    .update(JSON.stringify({ PACKAGES, PLAIN_INIT, NETWORK, kernel: manifest.kernel.version, v: 1 }))
    .update(sources.map((f) => readFileSync(f, 'utf8')).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const dir = join(cacheRoot, 'bench', `plain-systemd-${key}`);
  if (existsSync(join(dir, 'disk.qcow2'))) return { dir, keyFile: join(dir, 'id_ed25519') };
  console.error(`building the plain baseline into ${dir} (mmdebstrap, ~1-3 min)`);
  const tmp = join(work, 'plain');
  const root = join(tmp, 'root');
  await mkdir(root, { recursive: true });
  const t0 = performance.now();
  sh('mmdebstrap', [
    '--variant=minbase',
    `--include=${PACKAGES.join(',')}`,
    '--mode=root',
    '--quiet',
    'bookworm',
    join(tmp, 'rootfs.tar'),
    ...sources,
  ]);
  sh('tar', ['-xpf', join(tmp, 'rootfs.tar'), '-C', root]);
  await writeFile(join(root, 'etc/systemd/network/10-eth0.network'), NETWORK);
  sh('chroot', [root, 'systemctl', 'enable', '--quiet', 'systemd-networkd.service']);
  await writeFile(join(root, 'etc/hostname'), 'plain\n');
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(tmp, 'id_ed25519')]);
  await mkdir(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  await writeFile(join(root, 'root/.ssh/authorized_keys'), await readFile(join(tmp, 'id_ed25519.pub')));
  sh('mkfs.ext4', ['-q', '-d', root, '-L', 'ROOT', join(tmp, 'disk.raw'), '1500M']);
  sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', join(tmp, 'disk.raw'), join(tmp, 'disk.qcow2')]);
  // initramfs: the systemd image's, with a plain /init
  const initrd = join(tmp, 'initrd');
  await mkdir(initrd);
  sh('sh', ['-c', `zcat "$1" | cpio -id --quiet`, 'sh', join(manifest.dir, 'initrd.img')], { cwd: initrd });
  await writeFile(join(initrd, 'init'), PLAIN_INIT);
  await chmod(join(initrd, 'init'), 0o755);
  sh(
    'sh',
    ['-c', 'find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$1"', 'sh', join(tmp, 'initrd.img')],
    {
      cwd: initrd,
    },
  );
  await rm(join(tmp, 'root'), { recursive: true, force: true });
  await rm(initrd, { recursive: true, force: true });
  await rm(join(tmp, 'rootfs.tar'));
  await rm(join(tmp, 'disk.raw'));
  await mkdir(join(cacheRoot, 'bench'), { recursive: true });
  await rename(tmp, dir);
  console.error(`baseline built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return { dir, keyFile: join(dir, 'id_ed25519') };
}

function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function sshArgs(keyFile, port, user) {
  return [
    '-i',
    keyFile,
    '-p',
    String(port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=20',
    '-o',
    'BatchMode=yes',
    `${user}@127.0.0.1`,
  ];
}

function run(cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

// Boot one machine; resolve with its times once SSH answered and the system is running.
async function boot({ name, work, kernel, initrd, cmdline, disk, keyFile, user, fwcfg }) {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const overlay = join(dir, 'overlay.qcow2');
  sh('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', disk, overlay]);
  const port = await freePort();
  const args = [
    ...kolaLikeQemuArgs({ consolePath: join(dir, 'console.txt'), hostPort: port }),
    '-drive',
    `if=none,id=disk0,format=qcow2,cache=unsafe,discard=unmap,file=${overlay}`,
    '-device',
    'virtio-blk-pci,drive=disk0,serial=primary-disk',
    '-kernel',
    kernel,
    '-initrd',
    initrd,
    '-append',
    cmdline,
  ];
  if (fwcfg) args.push('-fw_cfg', `name=opt/org.flatcar-linux/config,file=${fwcfg}`);
  const t0 = performance.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: 'ignore' });
  try {
    let ssh;
    for (;;) {
      if (qemu.exitCode !== null) throw new Error(`${name}: qemu exited`);
      if (performance.now() - t0 > 600_000) throw new Error(`${name}: no SSH in 10 minutes`);
      const r = await run('ssh', [...sshArgs(keyFile, port, user), 'true'], 180_000);
      if (r.code === 0) {
        ssh = { ms: performance.now() - t0, cpu: cpuSeconds(qemu.pid) };
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const state = await run(
      'ssh',
      [...sshArgs(keyFile, port, user), 'systemctl is-system-running --wait'],
      600_000,
    );
    const runningMs = performance.now() - t0;
    const analyze = await run('ssh', [...sshArgs(keyFile, port, user), 'systemd-analyze time'], 60_000);
    return {
      sshMs: ssh.ms,
      sshCpu: ssh.cpu,
      runningMs,
      state: state.out.trim(),
      analyze: analyze.out.split('\n')[0]?.trim(),
    };
  } finally {
    qemu.kill('SIGKILL');
    await new Promise((r) => (qemu.exitCode !== null ? r() : qemu.once('exit', r)));
  }
}

async function main() {
  if (!existsSync(join(imageDir, 'manifest.json')))
    throw new Error(`no systemd image in ${imageDir}: run images/systemd/build.sh`);
  const manifest = { ...JSON.parse(await readFile(join(imageDir, 'manifest.json'), 'utf8')), dir: imageDir };
  const work = await mkdtemp(join(tmpdir(), 'systemd-boot-bench-'));
  try {
    const plain = await baseline(manifest, work);
    // The image gets kola's kind of Ignition config: a key for core (and root).
    const key = join(work, 'id_ed25519');
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const pub = (await readFile(`${key}.pub`, 'utf8')).trim();
    const ign = join(work, 'config.ign');
    await writeFile(
      ign,
      JSON.stringify({
        ignition: { version: '3.3.0' },
        passwd: { users: [{ name: 'core', sshAuthorizedKeys: [pub] }] },
      }),
    );
    const rows = [];
    for (let i = 0; i < rounds; i++) {
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      const [img, base] = await Promise.all([
        boot({
          name: `image-${i}`,
          work,
          kernel: join(imageDir, 'vmlinuz'),
          initrd: join(imageDir, 'initrd.img'),
          cmdline: manifest.cmdline,
          disk: join(imageDir, 'disk.qcow2'),
          keyFile: key,
          user: 'core',
          fwcfg: ign,
        }),
        boot({
          name: `plain-${i}`,
          work,
          kernel: join(imageDir, 'vmlinuz'),
          initrd: join(plain.dir, 'initrd.img'),
          cmdline: PLAIN_CMDLINE,
          disk: join(plain.dir, 'disk.qcow2'),
          keyFile: plain.keyFile,
          user: 'root',
        }),
      ]);
      rows.push({ img, base });
      console.error(
        `round ${i + 1}/${rounds} (load ${load}): image SSH ${(img.sshMs / 1000).toFixed(1)} s ` +
          `(qemu CPU ${img.sshCpu.toFixed(1)} s, ${img.state} at ${(img.runningMs / 1000).toFixed(1)} s; ${img.analyze}), ` +
          `plain SSH ${(base.sshMs / 1000).toFixed(1)} s (qemu CPU ${base.sshCpu.toFixed(1)} s, ${base.state} at ` +
          `${(base.runningMs / 1000).toFixed(1)} s; ${base.analyze})`,
      );
    }
    const ratio = (f) => Number(median(rows.map((r) => f(r.img) / f(r.base))).toFixed(3));
    console.log(
      JSON.stringify(
        {
          bench: 'systemd-boot',
          rounds,
          imageSshMedianMs: Math.round(median(rows.map((r) => r.img.sshMs))),
          plainSshMedianMs: Math.round(median(rows.map((r) => r.base.sshMs))),
          ratio: ratio((x) => x.sshMs),
          cpuRatio: ratio((x) => x.sshCpu),
          runningRatio: ratio((x) => x.runningMs),
          goal: 1.3,
        },
        null,
        2,
      ),
    );
  } finally {
    if (!process.env.KEEP) await rm(work, { recursive: true, force: true });
  }
}

await main();
