// Integration (slow, boots VMs): `ore image to-vm` outputs of the project's systemd test image
// (images/systemd: Flatcar's layout, ext4 OEM) booted by kola (its built CLI), one VM at a time:
// the qemu image through SeaBIOS -> GRUB, the qemu_uefi image through the OVMF copies to-vm
// wrote next to it. Needs: pnpm build (core, ore, kola, kolet) and images/systemd/build.sh.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '@mantle/core/exec';
import { requireOreBuild, runOre } from './helpers/ore-bin.js';

const KOLA = fileURLToPath(new URL('../../kola/dist/cli.js', import.meta.url));
const cacheDir =
  process.env.MANTLE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mantle');
const SYSTEMD_DISK = join(cacheDir, 'images', 'systemd-latest', 'disk.qcow2');
let dir: string;

async function systemdDisk(ctx: { skip: (note: string) => void }): Promise<string> {
  if (
    !(await stat(SYSTEMD_DISK).then(
      () => true,
      () => false,
    ))
  )
    ctx.skip(`the systemd test image is not built (${SYSTEMD_DISK} is missing): run images/systemd/build.sh`);
  return SYSTEMD_DISK;
}

async function kolaRun(args: string[], out: string): Promise<{ code: number; text: string }> {
  const r = await run(
    process.execPath,
    [KOLA, 'run', '-b', 'systemd', '--qemu-memory', '1024', '--output-dir', out, ...args, 'systemd.units'],
    { cwd: dir, reject: false, timeoutMs: 900_000 },
  );
  return { code: r.exitCode, text: r.stdout + r.stderr };
}

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-to-vm-boot-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('to-vm outputs of the systemd test image boot under kola', () => {
  test(
    'qemu: the qcow2 boots from its disk through SeaBIOS and GRUB; systemd.units passes',
    { timeout: 1_200_000 },
    async (ctx) => {
      const disk = await systemdDisk(ctx);
      const res = await runOre(dir, ['image', 'to-vm', disk, '-p', 'qemu', '--out-dir', 'qemu', '--json']);
      expect(res.exitCode, res.stderr).toBe(0);
      const image = join(dir, 'qemu', 'disk_qemu_image.img');
      const k = await kolaRun(['--qemu-image', image, '--qemu-firmware', 'bios'], join(dir, 'kola-qemu'));
      expect(k.code, k.text).toBe(0);
      expect(k.text).toMatch(/--- PASS: systemd\.units/);
      const consoleText = await readFile(
        (await run('find', [join(dir, 'kola-qemu'), '-name', 'console.txt'])).stdout.trim().split('\n')[0]!,
        'utf8',
      );
      expect(consoleText).toMatch(/Booting `mantle systemd test OS/);
    },
  );

  test(
    'qemu_uefi: the qcow2 boots with the OVMF code/vars files written beside it',
    { timeout: 1_200_000 },
    async (ctx) => {
      const disk = await systemdDisk(ctx);
      const res = await runOre(dir, ['image', 'to-vm', disk, '-p', 'qemu_uefi', '--out-dir', 'uefi']);
      expect(res.exitCode, res.stderr).toBe(0);
      const base = join(dir, 'uefi', 'disk_qemu_uefi');
      const k = await kolaRun(
        [
          '--qemu-image',
          `${base}_image.img`,
          '--qemu-firmware',
          `${base}_efi_code.fd`,
          '--qemu-ovmf-vars',
          `${base}_efi_vars.fd`,
        ],
        join(dir, 'kola-uefi'),
      );
      expect(k.code, k.text).toBe(0);
      expect(k.text).toMatch(/--- PASS: systemd\.units/);
    },
  );
});
