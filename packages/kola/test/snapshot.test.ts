// Machine snapshots and shared machines against real qemu (TCG): machines restored from a
// snapshot are separate machines (a file one writes is not on the other) with their own identity
// (machine-id, the host key sshd presents), on the tiny and the systemd image; a non-exclusive
// group with one failing test fails exactly that test; Ctrl-C while a snapshot is saved leaves
// no qemu and no state file behind.
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@mantle/core/log';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createQemuFlight, mantleCacheDir, type QemuFlightOptions } from '../src/platform/qemu/index.js';
import type { Flight, Machine } from '../src/platform/types.js';
import { ensureTinyImage, qemuPidsWith } from './qemu-helpers.js';
import { chooseImage } from '../src/run/image-select.js';
import { parseRunOptions, qemuFlightOptions } from '../src/run/options.js';
import { ensureSystemdImage } from '@mantle/test-utils/systemd-image';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const logger = createLogger({ level: process.env.KOLA_TEST_DEBUG ? 'debug' : 'warn', timestamps: true });
let root: string;

function flightOpts(extra: Partial<QemuFlightOptions> = {}): QemuFlightOptions {
  return { outputDir: join(root, 'out'), tmpDir: join(root, 'tmp'), logger, accel: 'auto', ...extra };
}

beforeAll(async () => {
  await ensureTinyImage();
  root = await mkdtemp(join(tmpdir(), 'kola-snapshot-test-'));
  await mkdir(join(root, 'tmp'));
}, 900_000);

afterAll(async () => {
  expect(await qemuPidsWith(root)).toEqual([]);
  expect(await readdir(join(root, 'tmp'))).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

async function must(m: Machine, cmd: string): Promise<string> {
  const r = await m.ssh(cmd, { user: 'root' });
  expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

/** The host key the machine's SSH server presents now (OpenSSH's ssh-keyscan, from the host). */
function presentedHostKey(m: Machine): string {
  const out = execFileSync('ssh-keyscan', ['-t', 'ed25519', '-T', '60', '-p', String(m.sshPort), m.ip], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const key = out.split('\n').find((l) => l.includes('ssh-ed25519'));
  expect(key, `ssh-keyscan of ${m.id}: ${out}`).toBeTruthy();
  return (key ?? '').split(/\s+/).slice(1, 3).join(' ');
}

/** Two machines from one snapshot: each writes a file the other must not see; identities differ. */
async function twoRestored(flight: Flight, name: string): Promise<[Machine, Machine]> {
  const ca = await flight.newCluster({
    name: `${name}-a`,
    outputDir: join(root, 'out', `${name}-a`),
    privateNetwork: false,
  });
  const a = await ca.newMachine(undefined, { snapshot: true });
  const cb = await flight.newCluster({
    name: `${name}-b`,
    outputDir: join(root, 'out', `${name}-b`),
    privateNetwork: false,
  });
  const b = await cb.newMachine(undefined, { snapshot: true });
  expect(a.timings?.restored).toBe(true);
  expect(b.timings?.restored).toBe(true);
  await must(a, 'echo from-a > /root/kola-snapshot-file');
  expect(await must(a, 'cat /root/kola-snapshot-file')).toBe('from-a');
  const seen = await b.ssh('test -e /root/kola-snapshot-file', { user: 'root' });
  expect(seen.exitCode).toBe(1);
  expect(presentedHostKey(a)).not.toBe(presentedHostKey(b));
  // sudo still works as core (the tiny image's sudo is an SSH session to its own host key)
  for (const m of [a, b]) {
    const id = await m.ssh('sudo -n id -u');
    expect(id.stdout.trim(), id.stderr).toBe('0');
  }
  // both consoles start with the template's boot, then say they were restored
  for (const m of [a, b])
    expect(await m.consoleOutput()).toContain(`--- kola: ${m.id} restored from snapshot`);
  return [a, b];
}

describe('snapshots on the tiny image', () => {
  test('restored machines are separate, present their own host keys and run the time of the host', async () => {
    const flight = await createQemuFlight(flightOpts());
    try {
      const [a, b] = await twoRestored(flight, 'tiny');
      for (const m of [a, b]) {
        const guest = Number(await must(m, 'date +%s'));
        expect(Math.abs(guest - Date.now() / 1000)).toBeLessThan(120);
      }
      // a reboot of a restored machine boots the image: a new boot id, SSH comes back
      const before = await a.bootId();
      await a.reboot();
      expect(await a.bootId()).not.toBe(before);
    } finally {
      await flight.destroy();
    }
  }, 900_000);
});

describe('snapshots on the systemd image', () => {
  test('restored machines have their own machine-id and host key; the journal is still found', async () => {
    await ensureSystemdImage();
    // the kernel, initrd, command line and memory from the image's manifest, as kola run takes them
    const { opts } = await chooseImage(parseRunOptions({ image: 'systemd' }), process.env, root);
    const flight = await createQemuFlight(
      flightOpts(qemuFlightOptions(opts, { outputDir: join(root, 'out'), logger }, process.env)),
    );
    try {
      const [a, b] = await twoRestored(flight, 'systemd');
      const ids = await Promise.all([a, b].map((m) => must(m, 'cat /etc/machine-id')));
      expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(ids[1]).toMatch(/^[0-9a-f]{32}$/);
      expect(ids[0]).not.toBe(ids[1]);
      for (const m of [a, b]) {
        expect(await must(m, 'systemctl is-system-running')).toBe('running');
        // journalctl looks under the new machine-id; the boot's entries are there
        expect(await must(m, 'journalctl -b --no-pager -o cat -u ssh.service | head -n 5')).not.toBe('');
        // the host key on disk is the one sshd presents
        expect(await must(m, 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub')).toBe(presentedHostKey(m));
      }
    } finally {
      await flight.destroy();
    }
  }, 1_800_000);
});

describe('kola run', () => {
  test('a non-exclusive group with one failing test fails exactly that test, on one shared machine', async () => {
    const cwd = join(root, 'group');
    await mkdir(join(cwd, 'mods'), { recursive: true });
    await writeFile(
      join(cwd, 'mods', 'group.mjs'),
      `export function register(registry, kola) {
         const id = (c) => c.mustSsh(c.machines[0], 'cat /proc/sys/kernel/random/boot_id; echo $PPID');
         for (const [name, fail] of [['grp.one', false], ['grp.two', true], ['grp.three', false]])
           registry.register(kola.defineTest({
             name, distros: ['tiny'], exclusive: false,
             run: async (c) => {
               c.log('machine ' + c.machines[0].id);
               await id(c);
               if (fail) c.errorf('grp.two fails on purpose');
             },
           }));
       }
`,
    );
    const out = join(cwd, 'run');
    const r = await runKola(['run', '--tests-dir', 'mods', '--output-dir', out, 'grp.*'], { cwd });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(await readFile(join(out, 'reports', 'report.json'), 'utf8')) as {
      tests: { name: string; result: string; output: string }[];
    };
    expect(report.tests.map((t) => [t.name, t.result]).sort()).toEqual([
      ['grp.one', 'PASS'],
      ['grp.three', 'PASS'],
      ['grp.two', 'FAIL'],
    ]);
    const machines = report.tests.map((t) => /machine (qemu-\w+)/.exec(t.output)?.[1]);
    expect(new Set(machines).size).toBe(1);
    expect(machines[0]).toMatch(/^qemu-/);
  }, 900_000);

  test('Ctrl-C while a snapshot is saved leaves no qemu, no state file and no temp dir', async () => {
    const cwd = join(root, 'sigint');
    const tmp = join(cwd, 'tmp');
    await mkdir(tmp, { recursive: true });
    // basic.ssh, basic.os-release (one shared machine) and reboot.bootid boot the default config
    // twice: the run makes a snapshot first.
    const child = spawn(
      process.execPath,
      [bin, 'run', '-d', '--output-dir', join(cwd, 'run'), 'basic.ssh', 'basic.os-release', 'reboot.bootid'],
      { cwd, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /snapshot \w+: saving the state of/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(sent, stderr.slice(-3000)).toBe(true);
    expect(code).toBe(130);
    expect(await qemuPidsWith(cwd)).toEqual([]);
    expect(await qemuPidsWith(tmp)).toEqual([]);
    // the flight's temp dir (snapshot state, overlays) is gone, and so are the RAM files on tmpfs
    expect(await readdir(tmp)).toEqual([]);
    const shm = await readdir('/dev/shm').catch(() => [] as string[]);
    expect(shm.filter((n) => n.startsWith(`mantle-snapshots-${child.pid}-`))).toEqual([]);
  }, 900_000);
});

function runKola(
  args: string[],
  opts: { cwd: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, MANTLE_CACHE_DIR: mantleCacheDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), 850_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
