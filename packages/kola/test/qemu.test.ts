// The qemu platform against real qemu (TCG) booting the tiny test image: boot, SSH, files,
// reboot, a private LAN between machines, failures that must say why, UEFI and TPM.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, MantleError, PrerequisiteError } from '@mantle/core/errors';
import { createLogger } from '@mantle/core/log';
import { pendingCleanups } from '@mantle/core/cli';
import { shellQuote } from '@mantle/core/ssh';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createQemuFlight, type QemuFlightOptions } from '../src/platform/qemu/index.js';
import type { Flight, Machine } from '../src/platform/types.js';
import { ensureTinyImage, qemuPidsWith } from './qemu-helpers.js';
import { ensureSystemdImage } from '@mantle/test-utils/systemd-image';

const logger = createLogger({ level: process.env.KOLA_TEST_DEBUG ? 'debug' : 'warn', timestamps: true });
let root: string;
let tiny: string;
let flight: Flight;

// Every flight of this file keeps its temp dirs under `root`, so the orphan checks can look there.
function flightOpts(extra: Partial<QemuFlightOptions> = {}): QemuFlightOptions {
  return { outputDir: join(root, 'out'), tmpDir: join(root, 'tmp'), logger, accel: 'auto', ...extra };
}

beforeAll(async () => {
  tiny = await ensureTinyImage();
  root = await mkdtemp(join(tmpdir(), 'kola-qemu-test-'));
  await mkdir(join(root, 'tmp'));
  flight = await createQemuFlight(flightOpts());
}, 900_000);

afterAll(async () => {
  await flight?.destroy();
  // Nothing may be left behind: no qemu mentioning our dirs, no flight temp dirs.
  expect(await qemuPidsWith(root)).toEqual([]);
  expect(await readdir(join(root, 'tmp'))).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

async function expectOk(m: Machine, cmd: string, user?: string): Promise<string> {
  const r = await m.ssh(cmd, user ? { user } : {});
  expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('one machine', () => {
  test('boots, runs commands as core and root, copies files, writes console and ignition.json, reboots', async () => {
    const cluster = await flight.newCluster({ name: 'single', outputDir: join(root, 'out', 'single') });
    const userData = JSON.stringify({
      ignition: { version: '3.3.0' },
      storage: {
        files: [{ path: '/etc/kola-test', mode: 420, contents: { source: 'data:,from-user-data' } }],
      },
    });
    const t0 = Date.now();
    const m = await cluster.newMachine(userData);
    const bootMs = Date.now() - t0;
    expect(m.id).toMatch(/^qemu-[0-9a-f]{12}$/);
    expect(m.ip).toBe('127.0.0.1');
    expect(m.sshPort).toBeGreaterThan(0);
    expect(m.privateIp).toBe('192.168.77.10');
    expect(cluster.machines).toEqual([m]);

    expect(await expectOk(m, 'cat /usr/lib/os-release')).toContain('ID=mantle-tiny');
    expect((await expectOk(m, 'id -un')).trim()).toBe('core');
    expect((await expectOk(m, 'id -u', 'root')).trim()).toBe('0');
    expect(await expectOk(m, 'cat /etc/kola-test')).toBe('from-user-data');
    const r = await m.ssh('cat; exit 3', { stdin: 'fed through stdin' });
    expect(r).toMatchObject({ stdout: 'fed through stdin', exitCode: 3 });

    // copyFile: bytes and a local file, with exact modes
    await m.copyFile(
      new TextEncoder().encode('#!/bin/sh\necho copied-script\n'),
      '/usr/local/bin/kola-copied',
      0o755,
    );
    expect((await expectOk(m, 'kola-copied')).trim()).toBe('copied-script');
    expect((await expectOk(m, 'stat -c %a /usr/local/bin/kola-copied')).trim()).toBe('755');
    const local = join(root, 'local-file.txt');
    await writeFile(local, 'local contents\n');
    await m.copyFile(local, '/tmp/from-host.txt', 0o600);
    expect(await expectOk(m, 'cat /tmp/from-host.txt', 'root')).toBe('local contents\n');
    expect((await expectOk(m, 'stat -c %a /tmp/from-host.txt', 'root')).trim()).toBe('600');

    // artifacts in the machine's output dir
    expect(m.outputDir).toBe(join(root, 'out', 'single', m.id));
    const ign = JSON.parse(await readFile(join(m.outputDir, 'ignition.json'), 'utf8')) as {
      passwd: { users: { name: string; sshAuthorizedKeys: string[] }[] };
      storage: { files: { path: string }[] };
    };
    expect(ign.passwd.users.find((u) => u.name === 'core')?.sshAuthorizedKeys[0]).toMatch(/^ssh-ed25519 /);
    expect(ign.storage.files.map((f) => f.path)).toEqual([
      '/etc/kola-test',
      '/etc/systemd/network/10-kola-lan.network',
    ]);
    expect((await stat(join(m.outputDir, 'ignition.json'))).mode & 0o777).toBe(0o600);
    const consoleText = await m.consoleOutput();
    expect(consoleText).toContain('mantle-tiny: ready');
    expect(await readFile(join(m.outputDir, 'console.txt'), 'utf8')).toBe(consoleText);
    // the tiny image's journalctl shim prints the kernel log and the syslog
    const journal = await m.journalOutput();
    expect(journal).toContain('Linux version');
    expect(await readFile(join(m.outputDir, 'journal.txt'), 'utf8')).toBe(journal);

    // root through sudo where sshd refuses root: drop kola's key from root's authorized_keys
    // and end root's session, so the next root command has to log in again
    await expectOk(m, "sed -i '/kola@mantle/d' /root/.ssh/authorized_keys", 'root');
    await m.ssh('kill $PPID', { user: 'root' }).catch(() => undefined);
    expect((await expectOk(m, 'id -u', 'root')).trim()).toBe('0');
    await m.copyFile(new TextEncoder().encode('via sudo\n'), '/opt/kola/sudo-copied', 0o640);
    expect(
      await expectOk(m, 'stat -c "%a %U" /opt/kola/sudo-copied; cat /opt/kola/sudo-copied', 'root'),
    ).toBe('640 root\nvia sudo\n');

    // reboot: a new boot id, same machine, ssh works again
    const before = await m.bootId();
    const t1 = Date.now();
    await m.reboot();
    const rebootMs = Date.now() - t1;
    const after = await m.bootId();
    expect(after).not.toBe(before);
    expect(await expectOk(m, 'cat /etc/kola-test')).toBe('from-user-data');
    expect((await m.consoleOutput()).split('mantle-tiny: ready').length - 1).toBe(2);
    console.log(`tiny image: boot to ready ${bootMs} ms, reboot ${rebootMs} ms`);

    const pids = await qemuPidsWith(m.outputDir);
    expect(pids).toHaveLength(1);
    await cluster.destroy();
    await m.destroy(); // idempotent
    expect(await qemuPidsWith(m.outputDir)).toEqual([]);
    expect(cluster.machines).toEqual([]);
    await expect(m.ssh('true')).rejects.toThrow();
  });
});

describe('private LAN', () => {
  test('three machines of a cluster reach each other (ping, TCP) on their static LAN addresses', async () => {
    const cluster = await flight.newCluster({ name: 'lan', outputDir: join(root, 'out', 'lan') });
    const machines = await Promise.all([cluster.newMachine(), cluster.newMachine(), cluster.newMachine()]);
    const ips = machines.map((m) => m.privateIp);
    expect(new Set(ips).size).toBe(3);
    for (const ip of ips) expect(ip).toMatch(/^192\.168\.77\.\d+$/);
    for (const m of machines) expect(await expectOk(m, 'ip -4 addr show')).toContain(`${m.privateIp}/24`);

    // every machine pings every other
    for (const a of machines) {
      for (const b of machines) {
        if (a === b) continue;
        await expectOk(a, shellQuote(['ping', '-c', '1', '-W', '5', b.privateIp ?? '']), 'root');
      }
    }
    // TCP: a listener on the third machine, a client on the first
    const [client, , server] = machines;
    await expectOk(server, "setsid sh -c 'nc -l -p 7777 > /tmp/got' >/dev/null 2>&1 </dev/null &");
    let got = '';
    for (let i = 0; i < 50 && got === ''; i++) {
      await client.ssh(
        shellQuote(['sh', '-c', `echo hello-over-lan | nc -w 2 ${server.privateIp ?? ''} 7777`]),
      );
      got = (await server.ssh('cat /tmp/got 2>/dev/null')).stdout;
      if (got === '') await new Promise((r) => setTimeout(r, 200));
    }
    expect(got.trim()).toBe('hello-over-lan');
    // machines of another cluster are on another LAN: the same address space, but separate
    await cluster.destroy();
  });
});

describe('failures', () => {
  test('a machine that never brings up SSH times out and the error shows the console tail', async () => {
    const f = await createQemuFlight(
      flightOpts({
        kernel: join(tiny, 'vmlinuz'),
        initrd: join(tiny, 'initrd.img'),
        // a shell as PID 1 waits forever on the console: the kernel boots, nothing listens
        append: 'console=ttyS0 rdinit=/bin/sh',
        sshRetries: 2,
        sshTimeoutSec: 4,
      }),
    );
    try {
      const cluster = await f.newCluster({ name: 'no-ssh', outputDir: join(root, 'out', 'no-ssh') });
      const t0 = Date.now();
      const err = (await cluster.newMachine().catch((e: unknown) => e)) as MantleError;
      expect(err).toBeInstanceOf(MantleError);
      expect(err.code).toBe('QEMU_SSH_TIMEOUT');
      expect(err.message).toContain('did not answer SSH on 127.0.0.1:');
      expect(err.message).toContain('within 8 s');
      // the tail of the console: kernel lines with their timestamps
      expect(err.message).toMatch(/last console lines \(.*console\.txt\):\n(.*\n)*\[\s*\d+\.\d+\]/);
      // the 8 s budget and qemu's start, far below the default SSH budget of 60 × 10 s (a loaded
      // runner starts qemu slowly)
      expect(Date.now() - t0).toBeLessThan(60_000);
      expect(cluster.machines).toEqual([]);
    } finally {
      await f.destroy();
    }
  });

  test('a kernel panic fails the boot at once, with the console tail', async () => {
    const f = await createQemuFlight(
      flightOpts({
        kernel: join(tiny, 'vmlinuz'),
        initrd: join(tiny, 'initrd.img'),
        append: 'console=ttyS0 rdinit=/no/such/init',
      }),
    );
    try {
      const cluster = await f.newCluster({ name: 'panic', outputDir: join(root, 'out', 'panic') });
      const t0 = Date.now();
      const err = (await cluster.newMachine().catch((e: unknown) => e)) as MantleError;
      expect(err.code).toBe('QEMU_KERNEL_PANIC');
      expect(err.message).toContain('Kernel panic - not syncing');
      expect(err.message).toContain('last console lines');
      // far below the default SSH budget of 60 × 10 s (a TCG boot to the panic on a loaded runner
      // can take a minute)
      expect(Date.now() - t0).toBeLessThan(150_000);
    } finally {
      await f.destroy();
    }
  });

  test('qemu failing at start reports its own message', async () => {
    const bogus = join(root, 'bogus-kernel');
    await writeFile(bogus, 'this is not a kernel\n'.repeat(100));
    const f = await createQemuFlight(flightOpts({ kernel: bogus }));
    try {
      const cluster = await f.newCluster({ name: 'bad-kernel', outputDir: join(root, 'out', 'bad-kernel') });
      const err = (await cluster.newMachine().catch((e: unknown) => e)) as MantleError;
      expect(err.code).toBe('QEMU_EXITED');
      expect(err.message).toMatch(/qemu exited \(exit code 1\)/);
      expect(err.message).toContain('qemu said:');
    } finally {
      await f.destroy();
    }
  });

  test('bad inputs: corrupt qcow2 → exit 2, missing image → exit 3, missing qemu → exit 3, no tiny image → exit 3', async () => {
    const cleanupsBefore = pendingCleanups();
    const tmpBefore = await readdir(join(root, 'tmp'));
    const corrupt = join(root, 'corrupt.qcow2');
    await writeFile(corrupt, Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(508, 0xee)]));
    const e1 = (await createQemuFlight(flightOpts({ image: corrupt })).catch(
      (e: unknown) => e,
    )) as InputError;
    expect(e1).toBeInstanceOf(InputError);
    expect(e1.exitCode).toBe(2);
    expect(e1.message).toContain(corrupt);

    const missing = join(root, 'missing.qcow2');
    // a path the user gave that is not there is their input (exit 2), not a missing prerequisite
    const e2 = (await createQemuFlight(flightOpts({ image: missing })).catch(
      (e: unknown) => e,
    )) as InputError;
    expect(e2).toBeInstanceOf(InputError);
    expect(e2.exitCode).toBe(2);
    expect(e2.code).toBe('INPUT_NOT_FOUND');
    expect(e2.message).toContain(missing);

    const e3 = (await createQemuFlight(flightOpts({ env: { PATH: join(root, 'empty-path') } })).catch(
      (e: unknown) => e,
    )) as PrerequisiteError;
    expect(e3.exitCode).toBe(3);
    expect(e3.message).toContain('qemu-system-x86_64');
    expect(e3.hint).toContain('qemu-system-x86');

    // no qemu-system-aarch64 installed here: the error names the Debian package
    if (
      !(await stat('/usr/bin/qemu-system-aarch64').then(
        () => true,
        () => false,
      ))
    ) {
      const e5 = (await createQemuFlight(flightOpts({ arch: 'aarch64' })).catch(
        (e: unknown) => e,
      )) as PrerequisiteError;
      expect(e5.exitCode).toBe(3);
      expect(e5.hint).toContain('qemu-system-arm');
    }

    const e4 = (await createQemuFlight(flightOpts({ cacheDir: join(root, 'no-cache') })).catch(
      (e: unknown) => e,
    )) as PrerequisiteError;
    expect(e4.exitCode).toBe(3);
    expect(e4.hint).toContain('images/tiny/build.sh');

    // none of these left a temp dir or a cleanup behind
    expect(await readdir(join(root, 'tmp'))).toEqual(tmpBefore);
    expect(pendingCleanups()).toBe(cleanupsBefore);
  });
});

describe('firmware and devices', () => {
  test('UEFI (OVMF pflash, per-machine vars), a TPM (swtpm) and a disk through a qcow2 overlay', async () => {
    // A small raw ext4 disk as the base image; the machine writes to its disk, the base must not change.
    const base = join(root, 'data.raw');
    execFileSync('mkfs.ext4', ['-q', '-L', 'KOLADATA', base, '16M'], {
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    });
    const sum = (p: string): Promise<string> =>
      readFile(p).then((b) => createHash('sha256').update(b).digest('hex'));
    const baseSum = await sum(base);
    const f = await createQemuFlight(
      flightOpts({
        kernel: join(tiny, 'vmlinuz'),
        initrd: join(tiny, 'initrd.img'),
        image: base,
        firmware: 'uefi',
        tpm: true,
      }),
    );
    try {
      const cluster = await f.newCluster({
        name: 'uefi',
        outputDir: join(root, 'out', 'uefi'),
        privateNetwork: false,
      });
      const m = await cluster.newMachine();
      expect(m.privateIp).toBeUndefined();
      // booted through OVMF: the kernel sees EFI
      expect(await expectOk(m, 'test -d /sys/firmware/efi && echo efi')).toBe('efi\n');
      const tpm = await m.ssh(
        'ls /sys/class/tpm/ 2>/dev/null; cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null',
        { user: 'root' },
      );
      expect(tpm.stdout).toContain('tpm0');
      expect(tpm.stdout).toContain('2');
      // the disk: readable (ext4 label), writable, and the write stays in the overlay
      expect(await expectOk(m, 'dd if=/dev/vda bs=1 skip=1144 count=8 2>/dev/null', 'root')).toBe('KOLADATA');
      await expectOk(m, 'dd if=/dev/zero of=/dev/vda bs=4096 count=16 conv=fsync 2>/dev/null', 'root');
      expect(
        await expectOk(
          m,
          'dd if=/dev/vda bs=1 skip=1144 count=8 2>/dev/null | od -An -c | tr -d " \\n"',
          'root',
        ),
      ).toBe('\\0\\0\\0\\0\\0\\0\\0\\0');
      await cluster.destroy();
      expect(await sum(base)).toBe(baseSum);
    } finally {
      await f.destroy();
    }
  });

  /** The systemd image's disk, built (cached; needs root, as CI has) when missing, as the other suites do. */
  async function systemdDisk(): Promise<string> {
    return join(await ensureSystemdImage(), 'disk.qcow2');
  }

  // images/systemd: Flatcar's disk layout, systemd-boot on the ESP; a first build takes minutes.
  test('UEFI disk boot of the systemd image (systemd-boot): systemd readiness, Butane user data, the journal', async () => {
    const disk = await systemdDisk();
    const f = await createQemuFlight(flightOpts({ image: disk, firmware: 'uefi', memoryMiB: 1024 }));
    try {
      const cluster = await f.newCluster({
        name: 'systemd',
        outputDir: join(root, 'out', 'systemd'),
        privateNetwork: false,
      });
      const m = await cluster.newMachine(
        [
          'variant: flatcar',
          'version: 1.0.0',
          'storage:',
          '  files:',
          '    - path: /etc/kola-test',
          '      contents:',
          '        inline: systemd',
        ].join('\n'),
      );
      expect(await expectOk(m, 'test -d /sys/firmware/efi && echo efi')).toBe('efi\n');
      expect(await expectOk(m, 'cat /usr/lib/os-release')).toContain('ID=mantle-systemd');
      expect((await expectOk(m, 'systemctl is-system-running')).trim()).toBe('running');
      expect(await expectOk(m, 'cat /etc/kola-test')).toBe('systemd');
      const journal = await m.journalOutput();
      expect(journal).toMatch(/Reached target/);
      expect((await stat(join(m.outputDir, 'journal-raw.txt.gz'))).size).toBeGreaterThan(100);
      // root by SSH login (PermitRootLogin prohibit-password) and real sudo both work
      expect((await expectOk(m, 'id -u', 'root')).trim()).toBe('0');
      expect((await expectOk(m, 'sudo -n id -u')).trim()).toBe('0');
      await cluster.destroy();
    } finally {
      await f.destroy();
    }
  }, 1_500_000); // a first build of the systemd image takes minutes

  // The same disk through SeaBIOS: GRUB's boot code in the MBR, core.img in BIOS-BOOT (both put
  // there by @mantle/core's installGrubBios at image build time), grub.cfg on the ESP.
  test('BIOS disk boot of the systemd image (SeaBIOS -> GRUB from BIOS-BOOT)', async () => {
    const disk = await systemdDisk();
    const f = await createQemuFlight(flightOpts({ image: disk, firmware: 'bios', memoryMiB: 1024 }));
    try {
      const cluster = await f.newCluster({
        name: 'bios',
        outputDir: join(root, 'out', 'bios'),
        privateNetwork: false,
      });
      const m = await cluster.newMachine();
      expect(await expectOk(m, 'test -d /sys/firmware/efi || echo bios')).toBe('bios\n');
      expect(await expectOk(m, 'cat /proc/cmdline')).toContain('root=PARTLABEL=ROOT');
      const consoleText = await m.consoleOutput();
      // GRUB's menu on the serial console, before the kernel's first line
      expect(consoleText).toMatch(/Booting `mantle systemd test OS[^']*'[\s\S]*mantle-systemd: initramfs/);
      await cluster.destroy();
    } finally {
      await f.destroy();
    }
  }, 1_500_000); // a first build of the systemd image takes minutes
});
