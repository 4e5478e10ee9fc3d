// Integration: `ore image convert` (the built bin) on real images, checked with qemu-img info,
// qemu-img compare and GNU tar. Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@mantle/core/exec';
import { jsonError, requireOreBuild, runOre, type OreRun } from './helpers/ore-bin.js';

let dir: string;

async function ore(args: string[]): Promise<OreRun> {
  return runOre(dir, args);
}

async function qemuInfo(file: string, format?: string): Promise<{ format: string; 'virtual-size': number }> {
  const args = ['info', '--output=json', ...(format ? ['-f', format] : []), join(dir, file)];
  return JSON.parse((await run('qemu-img', args)).stdout) as { format: string; 'virtual-size': number };
}

async function compare(raw: string, other: string, format: string): Promise<number> {
  const r = await run('qemu-img', ['compare', '-f', 'raw', '-F', format, join(dir, raw), join(dir, other)], {
    reject: false,
  });
  return r.exitCode;
}

/** A sparse GPT disk of `size` bytes with random data at a few places (and holes between). */
async function makeDisk(name: string, size: number): Promise<string> {
  await writeFile(
    join(dir, 'layout.json'),
    JSON.stringify({ partitions: { '1': { type: 'data', label: 'DATA', blocks: 8192 } } }),
  );
  const res = await ore([
    'image',
    'create-layout',
    '--layout',
    'layout.json',
    '--size',
    String(size),
    '--force',
    name,
  ]);
  expect(res.exitCode, res.stderr).toBe(0);
  const fh = await open(join(dir, name), 'r+');
  try {
    for (const at of [1 << 20, 5 << 20, size - (3 << 20)])
      await fh.write(randomBytes(300_000), 0, 300_000, at);
    // an allocated block of zeros, which the converters must treat as a hole
    await fh.write(Buffer.alloc(256 * 1024), 0, 256 * 1024, 8 << 20);
  } finally {
    await fh.close();
  }
  return name;
}

async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith('.'));
}

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-convert-'));
  await makeDisk('disk.img', 64 * 1024 * 1024);
  // not a whole MiB: the VHD must be padded
  await makeDisk('odd.img', 40 * 1024 * 1024 + 8 * 512);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ore image convert: natively written formats', () => {
  it('raw -> fixed VHD: qemu-img reads it as vpc with the same disk; footer as qemu-img writes it', async () => {
    const res = await ore(['image', 'convert', 'disk.img', '--format', 'vhd', '--out', 'disk.vhd', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const data = JSON.parse(res.stdout) as { virtualSize: number; fileSize: number; dataBytes: number };
    expect(data).toMatchObject({ virtualSize: 64 * 1024 * 1024, fileSize: 64 * 1024 * 1024 + 512 });
    // only the random data (and the GPT) was written: the zero block stayed a hole
    expect(data.dataBytes).toBeLessThan(3 * 300_000 + 4 * 65536 + 200_000);
    expect(await qemuInfo('disk.vhd', 'vpc')).toMatchObject({
      format: 'vpc',
      'virtual-size': 64 * 1024 * 1024,
    });
    expect(await compare('disk.img', 'disk.vhd', 'vpc')).toBe(0);
    // qemu-img's own fixed VHD of the same disk: same footer but for time, id and checksum
    await run(
      'qemu-img',
      ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size', 'disk.img', 'q.vhd'],
      {
        cwd: dir,
      },
    );
    const ours = (await readFile(join(dir, 'disk.vhd'))).subarray(-512);
    const theirs = (await readFile(join(dir, 'q.vhd'))).subarray(-512);
    for (const [a, b] of [
      [0, 24],
      [28, 64],
    ] as const)
      expect(ours.subarray(a, b).toString('hex')).toBe(theirs.subarray(a, b).toString('hex'));
    // sparse: far less on disk than the virtual size
    expect((await stat(join(dir, 'disk.vhd'))).blocks * 512).toBeLessThan(8 * 1024 * 1024);
  });

  it('a size that is not a whole MiB is padded to one; the padding reads as zeros', async () => {
    const res = await ore(['image', 'convert', 'odd.img', '-f', 'vhd', '-o', 'odd.vhd', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const info = await qemuInfo('odd.vhd', 'vpc');
    expect(info['virtual-size']).toBe(41 * 1024 * 1024);
    expect(await compare('odd.img', 'odd.vhd', 'vpc')).toBe(0);
  });

  it('raw -> GCE tarball: one sparse oldgnu disk.raw that GNU tar extracts to the same bytes', async () => {
    const res = await ore(['image', 'convert', 'disk.img', '-f', 'gce', '-o', 'disk.tar.gz', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const list = await run('tar', ['-tvzf', join(dir, 'disk.tar.gz')]);
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    expect(list.stdout).toMatch(/disk\.raw$/m);
    await rm(join(dir, 'x'), { recursive: true, force: true });
    await run('mkdir', [join(dir, 'x')]);
    await run('tar', ['-xSzf', join(dir, 'disk.tar.gz'), '-C', join(dir, 'x')]);
    expect(
      (await run('cmp', [join(dir, 'x', 'disk.raw'), join(dir, 'disk.img')], { reject: false })).exitCode,
    ).toBe(0);
    // the zero block and the holes are not in the archive: far smaller than the disk
    expect((await stat(join(dir, 'disk.tar.gz'))).size).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('ore image convert: compressed and qemu inputs', () => {
  it('an xz-compressed raw streams into a VHD (no temp copy) with the same disk', async () => {
    await run('xz', ['-T1', '-1', '-k', '-f', join(dir, 'disk.img')]);
    const res = await ore(['image', 'convert', 'disk.img.xz', '-f', 'vhd', '-o', 'xz.vhd']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/decompress xz -> vhd/);
    expect(res.stderr).not.toMatch(/work file/);
    expect(await compare('disk.img', 'xz.vhd', 'vpc')).toBe(0);
  });

  it('zstd raw -> GCE tarball and raw; qcow2 -> vhd', async () => {
    await run('zstd', ['-q', '-1', '-f', join(dir, 'disk.img'), '-o', join(dir, 'disk.img.zst')]);
    expect((await ore(['image', 'convert', 'disk.img.zst', '-f', 'raw', '-o', 'z.raw'])).exitCode).toBe(0);
    expect((await run('cmp', [join(dir, 'z.raw'), join(dir, 'disk.img')], { reject: false })).exitCode).toBe(
      0,
    );
    expect((await ore(['image', 'convert', 'disk.img.zst', '-f', 'gce', '-o', 'z.tar.gz'])).exitCode).toBe(0);
    await run('qemu-img', ['convert', '-O', 'qcow2', join(dir, 'disk.img'), join(dir, 'disk.qcow2')]);
    expect((await ore(['image', 'convert', 'disk.qcow2', '-f', 'vhd', '-o', 'q2.vhd'])).exitCode).toBe(0);
    expect(await compare('disk.img', 'q2.vhd', 'vpc')).toBe(0);
    expect(await leftovers()).toEqual([]);
  });

  for (const [format, qemu, sub] of [
    ['qcow2', 'qcow2', undefined],
    ['vmdk', 'vmdk', 'streamOptimized'],
    ['vhdx', 'vhdx', undefined],
  ] as const) {
    it(`raw -> ${format} through qemu-img`, async () => {
      const res = await ore(['image', 'convert', 'disk.img', '-f', format, '-o', `out.${format}`]);
      expect(res.exitCode, res.stderr).toBe(0);
      const info = (await qemuInfo(`out.${format}`)) as {
        format: string;
        'format-specific'?: { data?: { 'create-type'?: string } };
      };
      expect(info.format).toBe(qemu);
      if (sub) expect(info['format-specific']?.data?.['create-type']).toBe(sub);
      expect(await compare('disk.img', `out.${format}`, qemu)).toBe(0);
    });
  }
});

describe('ore image convert: bad inputs', () => {
  it('a truncated compressed input: exit 2, IMAGE_BAD_COMPRESSION, nothing left behind', async () => {
    const full = await readFile(join(dir, 'disk.img.xz'));
    await writeFile(join(dir, 'cut.img.xz'), full.subarray(0, Math.floor(full.length / 2)));
    const res = await ore(['image', 'convert', 'cut.img.xz', '-f', 'vhd', '-o', 'cut.vhd', '--json']);
    expect(res.exitCode).toBe(2);
    expect(jsonError(res.stderr).code).toBe('IMAGE_BAD_COMPRESSION');
    await expect(access(join(dir, 'cut.vhd'))).rejects.toThrow();
    expect(await leftovers()).toEqual([]);
  });

  it('a compressed disk shorter than its GPT says: IMAGE_TRUNCATED', async () => {
    const full = await readFile(join(dir, 'disk.img'));
    await writeFile(join(dir, 'short.img'), full.subarray(0, 32 * 1024 * 1024));
    await run('gzip', ['-1', '-f', join(dir, 'short.img')]);
    const res = await ore(['image', 'convert', 'short.img.gz', '-f', 'raw', '-o', 'short.raw', '--json']);
    expect(res.exitCode).toBe(2);
    expect(jsonError(res.stderr).code).toBe('IMAGE_TRUNCATED');
    expect(await leftovers()).toEqual([]);
  });

  it('not a disk image, an unknown format, an existing output, a missing input', async () => {
    await writeFile(join(dir, 'notes.txt'), 'hello\n'.repeat(300));
    const notImage = await ore(['image', 'convert', 'notes.txt', '-f', 'vhd', '--json']);
    expect(notImage.exitCode).toBe(2);
    expect(jsonError(notImage.stderr).code).toBe('NOT_A_DISK_IMAGE');
    const unknown = await ore(['image', 'convert', 'disk.img', '-f', 'vdi', '--json']);
    expect(unknown.exitCode).toBe(2);
    expect(jsonError(unknown.stderr)).toMatchObject({ code: 'CONVERT_UNKNOWN_FORMAT' });
    expect(jsonError(unknown.stderr).message).toMatch(/vdi/);
    const exists = await ore(['image', 'convert', 'disk.img', '-f', 'vhd', '-o', 'disk.vhd', '--json']);
    expect(exists.exitCode).toBe(2);
    expect(jsonError(exists.stderr).code).toBe('IMAGE_EXISTS');
    expect(
      (await ore(['image', 'convert', 'disk.img', '-f', 'vhd', '-o', 'disk.vhd', '--force'])).exitCode,
    ).toBe(0);
    const missing = await ore(['image', 'convert', 'nope.img', '-f', 'raw', '--json']);
    expect(missing.exitCode).toBe(2);
    expect(jsonError(missing.stderr).code).toBe('INPUT_NOT_FOUND');
  });
});
