import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '@mantle/core/log';
import { parseRunOptions, qemuFlightOptions, runArch, userKeyPath } from './options.js';

describe('run options', () => {
  it('applies the defaults mantle users know', () => {
    const o = parseRunOptions({});
    // no -b: the distro comes from the image (chooseImage)
    expect(o.distro).toBeUndefined();
    expect(o).toMatchObject({
      platform: 'qemu',
      parallel: 1,
      basename: 'kola',
      remove: true,
      sshRetries: 60,
      sshTimeoutSec: 10,
      rerunFailed: false,
      qemu: { tpm: false, accel: 'auto' },
    });
  });

  it.each([
    [{ parallel: 0 }, '--parallel'],
    [{ sshRetries: 0 }, '--ssh-retries'],
    [{ sshTimeoutSec: -1 }, '--ssh-timeout'],
    [{ qemu: { memoryMiB: 10 } }, '--qemu-memory'],
    [{ qemu: { cpus: Number.NaN } }, '--qemu-cpus'],
    [{ qemu: { accel: 'hvf' } }, '--qemu-accel'],
    [{ qemu: { arch: 'riscv64' } }, '--qemu-arch'],
    [{ basename: 'has space' }, '--basename'],
  ])('rejects %o naming %s (exit 2)', (input, flag) => {
    let err: unknown;
    try {
      parseRunOptions(input);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message.startsWith(`${flag}:`)).toBe(true);
    expect((err as { exitCode: number }).exitCode).toBe(2);
  });

  it('maps onto the qemu platform options', () => {
    const o = parseRunOptions({
      key: ['/k/id.pub'],
      sshRetries: 5,
      sshTimeoutSec: 3,
      qemu: {
        image: 'img.qcow2',
        memoryMiB: 1024,
        cpus: 2,
        arch: 'x86_64',
        tpm: true,
        accel: 'tcg',
        firmware: 'uefi',
      },
    });
    const q = qemuFlightOptions(o, { outputDir: '/out', logger: silentLogger });
    expect(q).toMatchObject({
      outputDir: '/out',
      image: 'img.qcow2',
      memoryMiB: 1024,
      cpus: 2,
      arch: 'x86_64',
      tpm: true,
      accel: 'tcg',
      firmware: 'uefi',
      sshRetries: 5,
      sshTimeoutSec: 3,
      keyPath: '/k/id.pub',
    });
    expect(runArch(o)).toBe('amd64');
    expect(runArch(parseRunOptions({ qemu: { arch: 'aarch64' } }))).toBe('arm64');
  });

  it('-k without --key uses the default public key, or says there is none', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kola-home-'));
    try {
      expect(() => userKeyPath({ key: [], keys: true }, home)).toThrow(/-k\/--keys: no --key given/);
      await mkdir(join(home, '.ssh'));
      await writeFile(join(home, '.ssh', 'id_rsa.pub'), 'ssh-rsa AAAA x');
      expect(userKeyPath({ key: [], keys: true }, home)).toBe(join(home, '.ssh', 'id_rsa.pub'));
      expect(userKeyPath({ key: [], keys: false }, home)).toBeUndefined();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
