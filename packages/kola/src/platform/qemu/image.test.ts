import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, PrerequisiteError } from '@mantle/core/errors';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createOverlay,
  inspectDiskImage,
  loadTinyImage,
  looksLikeRawImage,
  mantleCacheDir,
  tinyBuildCommand,
  tinyImageName,
} from './image.js';

// Real qemu-img on small files: it is quick, and mocking it would prove nothing.
const QEMU_IMG = '/usr/bin/qemu-img';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kola-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inspectDiskImage', () => {
  test('a missing image file is an input error (exit 2) naming the path', async () => {
    const p = join(dir, 'nope.qcow2');
    const err = await inspectDiskImage(p, QEMU_IMG).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).message).toBe(`image ${p}: no such file or directory`);
  });

  test('a truncated qcow2 is invalid input (exit 2)', async () => {
    const p = join(dir, 'corrupt.qcow2');
    execFileSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', p, '64M']);
    const good = execFileSync('head', ['-c', '16', p]);
    // keep the magic, scramble the header fields behind it
    await writeFile(p, Buffer.concat([good.subarray(0, 4), Buffer.alloc(4, 0xff), Buffer.alloc(100, 0x7f)]));
    const err = await inspectDiskImage(p, QEMU_IMG).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('QEMU_IMAGE_CORRUPT');
    expect((err as InputError).exitCode).toBe(2);
  });

  test('a text file is not an image', async () => {
    const p = join(dir, 'notes.img');
    await writeFile(p, 'hello\n'.repeat(200));
    const err = await inspectDiskImage(p, QEMU_IMG).catch((e: unknown) => e);
    expect((err as InputError).code).toBe('QEMU_IMAGE_INVALID');
  });

  test('another format is named, with the conversion to do', async () => {
    const p = join(dir, 'disk.vmdk');
    execFileSync(QEMU_IMG, ['create', '-q', '-f', 'vmdk', p, '16M']);
    const err = await inspectDiskImage(p, QEMU_IMG).catch((e: unknown) => e);
    expect((err as InputError).code).toBe('QEMU_IMAGE_FORMAT');
    expect((err as InputError).hint).toContain('qemu-img convert');
  });

  test('qcow2 and raw with a partition table pass; an overlay leaves the base alone', async () => {
    const q = join(dir, 'ok.qcow2');
    execFileSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', q, '64M']);
    expect(await inspectDiskImage(q, QEMU_IMG)).toMatchObject({
      path: q,
      format: 'qcow2',
      virtualSize: 64 << 20,
    });
    const r = join(dir, 'ok.raw');
    const mbr = Buffer.alloc(1 << 20);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    await writeFile(r, mbr);
    const raw = await inspectDiskImage(r, QEMU_IMG);
    expect(raw.format).toBe('raw');
    const overlay = join(dir, 'overlay.qcow2');
    await createOverlay(QEMU_IMG, raw, overlay);
    const info = JSON.parse(
      execFileSync(QEMU_IMG, ['info', '--output=json', overlay], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(info['backing-filename']).toBe(r);
    expect(info['backing-filename-format']).toBe('raw');
  });
});

test('looksLikeRawImage knows GPT, ext4 and squashfs heads', () => {
  const gpt = Buffer.alloc(4096);
  gpt.write('EFI PART', 512, 'latin1');
  expect(looksLikeRawImage(gpt)).toBe(true);
  const ext = Buffer.alloc(4096);
  ext[1080] = 0x53;
  ext[1081] = 0xef;
  expect(looksLikeRawImage(ext)).toBe(true);
  expect(looksLikeRawImage(Buffer.from('hsqs....'))).toBe(true);
  expect(looksLikeRawImage(Buffer.alloc(4096))).toBe(false);
});

test('the tiny image per arch: tiny-latest or tiny-arm64-latest; missing → exit 3 naming build.sh --arch arm64', async () => {
  const cache = join(dir, 'arch-cache');
  const arm = join(cache, 'images', 'tiny-arm64-latest');
  const err = await loadTinyImage(cache, 'aarch64').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PrerequisiteError);
  expect((err as PrerequisiteError).exitCode).toBe(3);
  expect((err as PrerequisiteError).message).toContain(join(arm, 'manifest.json'));
  expect((err as PrerequisiteError).hint).toContain('images/tiny/build.sh --arch arm64');
  await mkdir(arm, { recursive: true });
  for (const f of ['vmlinuz', 'initrd.img']) await writeFile(join(arm, f), '');
  await writeFile(
    join(arm, 'manifest.json'),
    JSON.stringify({ name: 'tiny', arch: 'aarch64', cmdline: 'console=ttyAMA0 loglevel=4' }),
  );
  const boot = await loadTinyImage(cache, 'aarch64');
  expect(boot).toMatchObject({
    kernel: join(arm, 'vmlinuz'),
    append: 'console=ttyAMA0 loglevel=4',
    arch: 'aarch64',
  });
  expect(boot.tiny?.dir).toBe(arm);
  // an entry whose manifest names another arch is not used
  await writeFile(join(arm, 'manifest.json'), JSON.stringify({ name: 'tiny', arch: 'x86_64' }));
  await expect(loadTinyImage(cache, 'aarch64')).rejects.toMatchObject({
    exitCode: 3,
    message: expect.stringContaining('is an image for x86_64, not aarch64') as string,
  });
  expect(tinyImageName('x86_64')).toBe('tiny');
  expect(tinyBuildCommand('x86_64')).toBe('images/tiny/build.sh');
});

test('the tiny image: missing → exit 3 naming build.sh; cache dir follows MANTLE_CACHE_DIR', async () => {
  const cache = join(dir, 'cache');
  await mkdir(cache);
  const err = await loadTinyImage(cache).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PrerequisiteError);
  expect((err as PrerequisiteError).hint).toContain('images/tiny/build.sh');
  expect(mantleCacheDir({ MANTLE_CACHE_DIR: cache })).toBe(cache);
  expect(mantleCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/mantle');
  expect(mantleCacheDir({ HOME: '/h' })).toBe('/h/.cache/mantle');
});
