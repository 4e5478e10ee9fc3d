// aarch64 machines under qemu TCG on this (x86_64) host: the arm64 tiny image built by
// images/tiny/build.sh --arch arm64, booted through the qemu platform API (uname, Ignition,
// SFTP, the qemu command line) and through the built kola bin (the built-in tiny tests, the
// report's architecture, `--image tiny-arm64`, and the errors for a wrong or missing image).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '@mantle/core/log';
import { kola as runKola } from '@mantle/test-utils/systemd-image';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createQemuFlight, mantleCacheDir } from '../src/platform/qemu/index.js';
import { qemuPidsWith } from './qemu-helpers.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const logger = createLogger({ level: process.env.KOLA_TEST_DEBUG ? 'debug' : 'warn', timestamps: true });
let root: string;
let image: string;

interface Manifest {
  name: string;
  arch: string;
  cmdline: string;
  kernel: { version: string };
  modules: string[];
}

interface Report {
  tests: { name: string; result: string; output: string }[];
  result: string;
  platform: string;
  version: string;
}

const kola = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  runKola(args, { cwd: root, env, timeoutMs: 600_000 });

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run pnpm --filter @mantle/core --filter @mantle/kola build`);
  // Always through build.sh: cached when up to date (a few seconds), rebuilt when Debian moved on.
  const built = await promisify(execFile)(join(repo, 'images/tiny/build.sh'), ['--arch', 'arm64'], {
    maxBuffer: 64 << 20,
  });
  image = built.stdout.trim();
  root = await mkdtemp(join(tmpdir(), 'kola-aarch64-test-'));
  await mkdir(join(root, 'tmp'));
}, 600_000);

afterAll(async () => {
  if (!root) return;
  expect(await qemuPidsWith(root)).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

test('build.sh --arch arm64 publishes tiny-arm64-<key> and tiny-arm64-latest with an aarch64 manifest', async () => {
  const cache = join(mantleCacheDir(), 'images');
  expect(image).toMatch(new RegExp(`^${cache}/tiny-arm64-[0-9a-f]{16}$`));
  const manifest = JSON.parse(await readFile(join(image, 'manifest.json'), 'utf8')) as Manifest;
  expect(manifest).toMatchObject({ name: 'tiny', arch: 'aarch64' });
  expect(manifest.cmdline.split(' ')).toContain('console=ttyAMA0');
  expect(manifest.kernel.version).toMatch(/-cloud-arm64$/);
  expect(manifest.modules).toEqual(expect.arrayContaining(['virtio_pci', 'virtio_net', 'qemu_fw_cfg']));
  expect(JSON.parse(await readFile(join(cache, 'tiny-arm64-latest', 'manifest.json'), 'utf8'))).toEqual(
    manifest,
  );
});

describe('the qemu platform with arch aarch64', () => {
  test('boots the arm64 tiny image: uname, Ignition file, root, SFTP, virt machine with PCI virtio', async () => {
    const flight = await createQemuFlight({
      arch: 'aarch64',
      outputDir: join(root, 'out'),
      tmpDir: join(root, 'tmp'),
      logger,
      accel: 'auto',
    });
    try {
      const cluster = await flight.newCluster({ name: 'arm', outputDir: join(root, 'out', 'arm') });
      const userData = JSON.stringify({
        ignition: { version: '3.3.0' },
        storage: {
          files: [{ path: '/etc/kola-arm', mode: 420, contents: { source: 'data:,written-by-ignition' } }],
        },
      });
      const t0 = Date.now();
      const m = await cluster.newMachine(userData);
      const bootMs = Date.now() - t0;
      const ok = async (cmd: string, user?: string): Promise<string> => {
        const r = await m.ssh(cmd, user ? { user } : {});
        expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
        return r.stdout.trim();
      };
      expect(await ok('uname -m')).toBe('aarch64');
      expect(await ok('cat /etc/kola-arm')).toBe('written-by-ignition');
      expect(await ok('cat /run/mantle/ignition.status')).toBe('ok');
      expect(await ok('cat /proc/cmdline')).toContain('console=ttyAMA0');
      expect(await ok('id -u', 'root')).toBe('0');
      // SFTP: dropbear's arm64 sftp-server and the libraries build.sh found for it
      await m.copyFile(new TextEncoder().encode('over sftp\n'), '/opt/kola/copied', 0o600);
      expect(await ok('stat -c %a /opt/kola/copied; cat /opt/kola/copied', 'root')).toBe('600\nover sftp');
      // the private LAN NIC is there too (virtio-net-pci on virt's PCIe bus)
      expect(await ok('ip -4 addr show eth1')).toContain(`${m.privateIp ?? '?'}/24`);
      expect(await m.consoleOutput()).toContain('mantle-tiny: ready');

      const [pid, ...others] = await qemuPidsWith(m.outputDir);
      expect(others).toEqual([]);
      const argv = (await readFile(`/proc/${pid ?? 0}/cmdline`, 'utf8')).split('\0');
      expect(argv[0]).toMatch(/qemu-system-aarch64$/);
      const after = (flag: string): string | undefined => argv[argv.indexOf(flag) + 1];
      expect(after('-machine')).toBe('virt');
      expect(after('-accel')).toBe('tcg');
      expect(after('-cpu')).toBe('max,pauth-impdef=on');
      console.log(`aarch64 tiny image (TCG): boot to ready ${bootMs} ms`);
    } finally {
      await flight.destroy();
    }
  });
});

describe('kola run --qemu-arch aarch64', () => {
  test('picks tiny-arm64 by default and passes every built-in tiny test; the run is arm64', async () => {
    const out = join(root, 'run');
    const r = await kola([
      'run',
      '--qemu-arch',
      'aarch64',
      '--tag',
      'tiny',
      '-j',
      '2',
      '--output-dir',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `distro tiny (from the image ${join(mantleCacheDir(), 'images', 'tiny-arm64-latest')})`,
    );
    const report = JSON.parse(await readFile(join(out, 'reports', 'report.json'), 'utf8')) as Report;
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'PASS', platform: 'qemu' });
    expect(report).toMatchObject({ result: 'PASS', platform: 'qemu' });
    expect(report.tests.map((t) => t.name).sort()).toEqual(
      expect.arrayContaining([
        'basic.hostname',
        'basic.os-release',
        'basic.ssh',
        'cluster.lan',
        'console.check-flags',
        'ignition.files',
        'reboot.bootid',
      ]),
    );
    expect(report.tests.filter((t) => t.result !== 'PASS')).toEqual([]);
    // mantle's report.json has no architecture field; the run's properties carry it (Go spelling)
    const props = JSON.parse(await readFile(join(out, 'properties.json'), 'utf8')) as Record<string, unknown>;
    expect(props).toMatchObject({ arch: 'arm64', distro: 'tiny', platform: 'qemu' });
  });

  test('--image tiny-arm64 boots it without --qemu-arch', async () => {
    const out = join(root, 'image');
    const r = await kola(['run', '--image', 'tiny-arm64', '--output-dir', out, 'basic.os-release']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('--- PASS: basic.os-release');
    const props = JSON.parse(await readFile(join(out, 'properties.json'), 'utf8')) as Record<string, unknown>;
    expect(props).toMatchObject({ arch: 'arm64', distro: 'tiny' });
  });

  test('an image of the other arch is exit 2; a missing arm64 image is exit 3 naming build.sh --arch arm64', async () => {
    const wrong = await kola(['run', '--image', 'tiny-arm64', '--qemu-arch', 'x86_64', 'basic.ssh']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('is built for aarch64, but --qemu-arch is x86_64');
    const empty = join(root, 'empty-cache');
    await mkdir(empty);
    const missing = await kola(
      ['run', '--qemu-arch', 'aarch64', '--output-dir', join(root, 'missing'), 'basic.ssh'],
      {
        ...process.env,
        MANTLE_CACHE_DIR: empty,
      },
    );
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(join(empty, 'images', 'tiny-arm64-latest', 'manifest.json'));
    expect(missing.stderr).toContain('images/tiny/build.sh --arch arm64');
  });
});
