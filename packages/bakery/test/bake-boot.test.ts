// bakery end to end on the project's systemd test image (issue 6, item 7): a sysext carrying a
// static binary (busybox from busybox-static) and a unit upheld by multi-user.target is made by
// `bakery create`, baked into a copy of the image's qcow2 disk by `bakery bake` (no root, no loop
// devices), and booted by `kola run`. An external test on the machine sees /usr/bin/busybox from the
// extension, the unit active and serving a file only the extension carries, and proves the binary
// goes away when the extension is unmerged (so it came from the sysext, not from USR-A).
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  ensureSystemdImage,
  kola,
  readReport,
  type KolaResult,
} from '@mantle/test-utils/systemd-image';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { bakery, exec, makeTree, requireBuilt } from './helpers.js';

let cwd: string;
let imageDir: string;
let cachedDisk: string;
let cachedSha: string;
let bake: { code: number; stdout: string; stderr: string };
let run: KolaResult;
async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
const out = (): string => join(cwd, 'kola-out');

const UNIT = `[Unit]
Description=busybox httpd from a system extension (bakery end-to-end test)

[Service]
ExecStart=/usr/bin/busybox httpd -f -p 127.0.0.1:8080 -h /usr/share/mantle-hello
`;

// Runs on the machine as root (kola's external test convention).
const TEST_SH = `#!/bin/bash
set -euxo pipefail
systemd-sysext status
test -x /usr/bin/busybox
/usr/bin/busybox true
systemctl is-active mantle-hello.service
systemctl show -p UpheldBy --value mantle-hello.service | grep -q multi-user.target
curl -fsS http://127.0.0.1:8080/index.html | grep -q 'hello from a sysext'
# the binary is the extension's: unmerged, /usr has no busybox
systemd-sysext unmerge
test ! -e /usr/bin/busybox
echo "sysext checks passed"
`;

beforeAll(async () => {
  await requireBuilt();
  await ensureBuilt();
  const cached = await ensureSystemdImage();
  const manifest = JSON.parse(await readFile(join(cached, 'manifest.json'), 'utf8')) as {
    osRelease: { ID: string };
    files: { disk: string; kernel: string; initrd: string };
  };
  cwd = await mkdtemp(join(tmpdir(), 'bakery-boot-'));
  await makeTree(join(cwd, 'tree'), {
    'usr/lib/systemd/system/mantle-hello.service': UNIT,
    'usr/share/mantle-hello/index.html': 'hello from a sysext\n',
    'usr/bin': { dir: true },
  });
  await copyFile('/bin/busybox', join(cwd, 'tree/usr/bin/busybox'));
  const made = await bakery(
    [
      'create',
      'mantle-hello',
      '--from',
      'tree',
      '--version',
      '1.0',
      '--os',
      manifest.osRelease.ID,
      '--sysext-level',
      '1.0',
      '--upholds',
      'mantle-hello.service',
      '--out',
      'sysexts',
    ],
    { cwd },
  );
  expect(made.code, made.stderr).toBe(0);

  // An image directory kola boots: the cached kernel and initrd, a copy of the disk to bake into.
  imageDir = join(cwd, 'image');
  await mkdir(imageDir);
  cachedDisk = join(cached, manifest.files.disk);
  cachedSha = await sha256Of(cachedDisk);
  await exec('cp', ['--sparse=always', cachedDisk, join(imageDir, manifest.files.disk)]);
  for (const f of [manifest.files.kernel, manifest.files.initrd])
    await symlink(join(cached, f), join(imageDir, f));
  await copyFile(join(cached, 'manifest.json'), join(imageDir, 'manifest.json'));

  bake = await bakery(
    [
      'bake',
      join(imageDir, manifest.files.disk),
      'mantle-hello:sysexts/mantle-hello-1.0-x86-64.raw',
      '--json',
    ],
    { cwd },
  );

  await makeTree(join(cwd, 'ext'), { 'sysext/test.sh': { content: TEST_SH, mode: 0o755 } });
  await writeFile(join(cwd, 'ext/sysext/kola.json'), JSON.stringify({ distros: 'systemd' }));
  run = await kola(['run', '--image', imageDir, '-E', join(cwd, 'ext'), 'ext.*', '--output-dir', out()], {
    cwd,
    timeoutMs: 900_000,
  });
}, 1_200_000);

afterAll(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('bakery bake + kola run on the systemd test image', () => {
  it('bakes into the qcow2 disk without touching the cached image', async () => {
    expect(bake.code, bake.stderr).toBe(0);
    const data = JSON.parse(bake.stdout) as {
      partition: string;
      fsckClean: boolean;
      sysexts: { symlink: string; installedAt: string }[];
    };
    expect(data.partition).toBe('ROOT');
    expect(data.fsckClean).toBe(true);
    expect(data.sysexts).toEqual([
      expect.objectContaining({
        symlink: '/etc/extensions/mantle-hello.raw',
        installedAt: '/opt/extensions/mantle-hello/mantle-hello-1.0-x86-64.raw',
      }),
    ]);
    const info = await exec('qemu-img', ['info', '--output=json', join(imageDir, 'disk.qcow2')]);
    expect((JSON.parse(info.stdout) as { format: string }).format).toBe('qcow2');
    expect(await sha256Of(cachedDisk)).toBe(cachedSha);
    // no scratch files left beside the baked image
    const left = (await exec('ls', ['-A', imageDir])).stdout.split('\n').filter((f) => f.startsWith('.'));
    expect(left).toEqual([]);
  });

  it('boots the baked image: the machine runs the extension binary and its upheld unit', async () => {
    expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
    const report = await readReport(out());
    const test = report.tests.find((t) => t.name === 'ext.ext.sysext');
    expect(test?.result, JSON.stringify(report.tests)).toBe('PASS');
    expect(test?.output).toContain('mantle-hello');
    expect(test?.output).toContain('sysext checks passed');
    expect((await stat(join(out(), 'ext.ext.sysext'))).isDirectory()).toBe(true);
  });
});
