// Integration: filling partitions without root — mkfs.vfat/mtools for FAT, mke2fs/debugfs for ext4 —
// on a real Flatcar-layout image, checked with sgdisk, e2fsck and the tools' own readers.
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InputError,
  createFlatcarTestDisk,
  ext4Apply,
  ext4List,
  ext4Mkdir,
  ext4ReadFile,
  ext4Stat,
  ext4Symlink,
  ext4WriteFile,
  fatList,
  fatReadFile,
  fatWriteFile,
  partitionRef,
  readGpt,
  run,
  type PartitionRef,
} from '@mantle/core';

let dir: string;
let img: string;
let root: PartitionRef;
let efi: PartitionRef;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-fs-it-'));
  const efiDir = join(dir, 'efi');
  await mkdir(join(efiDir, 'EFI', 'boot'), { recursive: true });
  await writeFile(join(efiDir, 'EFI', 'boot', 'grub.cfg'), 'set timeout=1\n');
  const rootDir = join(dir, 'root');
  await mkdir(join(rootDir, 'etc'), { recursive: true });
  await writeFile(join(rootDir, 'etc', 'hostname'), 'testhost\n');
  await symlink('/usr/lib/os-release', join(rootDir, 'etc', 'os-release'));
  const oemDir = join(dir, 'oem');
  await mkdir(oemDir);
  await writeFile(join(oemDir, 'grub.cfg'), 'set oem_id=qemu\n');
  img = join(dir, 'flatcar.img');
  const res = await createFlatcarTestDisk({
    out: img,
    fill: { 'EFI-SYSTEM': { dir: efiDir }, ROOT: { dir: rootDir }, OEM: { dir: oemDir, fsType: 'ext4' } },
  });
  expect(res.filesystems.map((f) => [f.label, f.fsType])).toEqual([
    ['EFI-SYSTEM', 'vfat'],
    ['OEM', 'ext4'],
    ['ROOT', 'ext4'],
  ]);
  root = await partitionRef(img, 'ROOT');
  efi = await partitionRef(img, 'EFI-SYSTEM');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a filled Flatcar test disk', () => {
  it('keeps a valid GPT and leaves no temp files', async () => {
    expect((await run('sgdisk', ['-v', img])).stdout).toMatch(/No problems found/);
    expect((await readGpt(img)).partitions).toHaveLength(7);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('has a FAT32 ESP with the files, readable by mtools', async () => {
    expect((await fatReadFile(efi, '/EFI/boot/grub.cfg')).toString()).toBe('set timeout=1\n');
    expect(await fatList(efi, '/EFI/boot')).toEqual([
      { name: 'grub.cfg', path: '/EFI/boot/grub.cfg', type: 'file' },
    ]);
    const { stdout } = await run('minfo', ['-i', `${img}@@${efi.offset}`, '::'], {
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    });
    expect(stdout).toMatch(/fat type: FAT32|FAT32/);
    expect(stdout).toMatch(/EFI-SYSTEM/);
  });

  it('writes nested FAT files (binary-safe) without mkdir -p in mtools', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0]);
    await fatWriteFile(efi, '/flatcar/first_boot/blob.bin', bytes);
    expect(await fatReadFile(efi, 'flatcar/first_boot/blob.bin')).toEqual(bytes);
    await fatWriteFile(efi, '/EFI/boot/grub.cfg', 'replaced\n');
    expect((await fatReadFile(efi, '/EFI/boot/grub.cfg')).toString()).toBe('replaced\n');
  });

  it('has ext4 ROOT and OEM filled from directories, clean under e2fsck', async () => {
    expect((await ext4ReadFile(root, '/etc/hostname')).toString()).toBe('testhost\n');
    const etc = await ext4List(root, '/etc');
    expect(etc.find((e) => e.name === 'os-release')).toMatchObject({ type: 'symlink' });
    const oem = await partitionRef(img, 'OEM');
    expect((await ext4ReadFile(oem, 'grub.cfg')).toString()).toBe('set oem_id=qemu\n');
    const { stdout } = await run('e2fsck', ['-fn', `${img}?offset=${root.offset}`]);
    expect(stdout).toMatch(/ROOT: \d+\/\d+ files/);
  });

  it('writes files, symlinks and directories into ROOT with modes and owners (what bakery does)', async () => {
    const payload = Buffer.alloc(300_000, 0xab);
    const local = join(dir, 'ext.raw');
    await writeFile(local, payload);
    await chmod(local, 0o644);
    await ext4Apply(root, [
      {
        op: 'write',
        path: '/opt/extensions/foo/foo-1.0-x86-64.raw',
        from: local,
        mode: 0o644,
        uid: 0,
        gid: 0,
      },
      { op: 'symlink', path: '/etc/extensions/foo.raw', target: '/opt/extensions/foo/foo-1.0-x86-64.raw' },
      {
        op: 'write',
        path: '/etc/sysupdate.foo.d/foo.transfer',
        content: '[Transfer]\nVerify=false\n',
        mode: 0o600,
        uid: 500,
        gid: 500,
      },
      { op: 'mkdir', path: '/var/lib/empty dir', mode: 0o700 },
    ]);
    expect(await ext4ReadFile(root, '/opt/extensions/foo/foo-1.0-x86-64.raw')).toEqual(payload);
    const ext = await ext4List(root, '/etc/extensions');
    expect(ext).toEqual([
      expect.objectContaining({
        name: 'foo.raw',
        type: 'symlink',
        size: '/opt/extensions/foo/foo-1.0-x86-64.raw'.length,
      }),
    ]);
    const transfer = await ext4Stat(root, '/etc/sysupdate.foo.d/foo.transfer');
    expect(transfer).toMatchObject({ type: 'file', mode: 0o100600, uid: 500, gid: 500 });
    expect(await ext4Stat(root, '/var/lib/empty dir')).toMatchObject({ type: 'dir', mode: 0o40700 });
    expect(await ext4Stat(root, '/nope')).toBeUndefined();

    // replacing works, and so do the single-op helpers
    await ext4WriteFile(root, '/etc/hostname', 'other\n', { mode: 0o644 });
    await ext4Symlink(root, '/etc/extensions/foo.raw', '/opt/extensions/foo/foo-2.raw');
    await ext4Mkdir(root, '/a/b/c');
    expect((await ext4ReadFile(root, '/etc/hostname')).toString()).toBe('other\n');
    expect(await ext4Stat(root, '/etc/extensions/foo.raw')).toMatchObject({
      size: '/opt/extensions/foo/foo-2.raw'.length,
    });
    expect(await ext4Stat(root, '/a/b/c')).toMatchObject({ type: 'dir' });
    await run('e2fsck', ['-fn', `${img}?offset=${root.offset}`]);
    expect((await run('sgdisk', ['-v', img])).stdout).toMatch(/No problems found/);
  });

  it('keeps the filesystem clean when directories already exist (debugfs mkdir would leak an inode)', async () => {
    await ext4Mkdir(root, '/opt/again');
    await ext4Mkdir(root, '/opt/again');
    await ext4WriteFile(root, '/opt/again/file', 'x');
    await ext4WriteFile(root, '/opt/again/file2', 'y');
    const fsck = await run('e2fsck', ['-fn', `${img}?offset=${root.offset}`], { reject: false });
    expect(fsck.exitCode, fsck.stdout + fsck.stderr).toBe(0);
  });

  it('gives clear errors: missing files, wrong filesystem, unknown partition', async () => {
    await expect(ext4ReadFile(root, '/does/not/exist')).rejects.toMatchObject({
      code: 'FS_NOT_FOUND',
      exitCode: 2,
    });
    await expect(fatReadFile(efi, '/nope.txt')).rejects.toMatchObject({ code: 'FS_NOT_FOUND' });
    await expect(ext4ReadFile(efi, '/EFI')).rejects.toMatchObject({ code: 'FS_NOT_EXT4' });
    await expect(partitionRef(img, 'NOPE')).rejects.toMatchObject({ code: 'PARTITION_NOT_FOUND' });
  });
});

describe('createFlatcarTestDisk input checks', () => {
  it('rejects an unknown partition, an unsupported fs and a missing dir before writing', async () => {
    const out = join(dir, 'never.img');
    const before = await readdir(dir);
    const err = async (p: Promise<unknown>): Promise<InputError> =>
      (await p.then(
        () => undefined,
        (e: unknown) => e,
      )) as InputError;
    expect((await err(createFlatcarTestDisk({ out, fill: { NOPE: { dir } } }))).code).toBe(
      'PARTITION_NOT_FOUND',
    );
    expect((await err(createFlatcarTestDisk({ out, fill: { OEM: { dir } } }))).code).toBe('FS_UNSUPPORTED'); // layout says btrfs
    expect(
      (await err(createFlatcarTestDisk({ out, fill: { ROOT: { dir: join(dir, 'missing') } } }))).code,
    ).toBe('FS_SOURCE_NOT_DIR');
    expect(await readdir(dir)).toEqual(before);
  });
});
