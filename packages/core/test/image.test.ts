// Integration: format detection, virtual sizes and partition tables of images made by the real
// qemu-img, gzip, bzip2, xz, zstd and lz4; streaming decompression through the real tools.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLayoutImage,
  inspectImage,
  openDecompressedStream,
  parseLayoutConfig,
  qemuImgInfo,
  readDecompressedHead,
  run,
  type Compression,
} from '@mantle/core';

let dir: string;
let raw: string;
const SIZE = 8 * 1024 * 1024;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-image-it-'));
  raw = join(dir, 'disk.img');
  const layout = parseLayoutConfig({
    layouts: {
      base: {
        '1': { type: 'efi', label: 'EFI-SYSTEM', blocks: 4096 },
        '3': {
          type: 'flatcar-usr',
          label: 'USR-A',
          blocks: 4096,
          uuid: '7130c94a-213a-4e5a-8e26-6cce9662f132',
          features: ['prioritize'],
        },
        '4': {
          type: 'flatcar-usr',
          label: 'USR-B',
          blocks: 4096,
          uuid: 'e03dd35c-7c2d-4a47-b3fe-27f15780a57c',
        },
      },
    },
  });
  await createLayoutImage({ out: raw, layout, size: SIZE });
  // Some content so the compressed streams are not all zeros.
  await run('dd', [
    'if=/dev/urandom',
    `of=${raw}`,
    'bs=4096',
    'seek=600',
    'count=64',
    'conv=notrunc',
    'status=none',
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sha(data: Buffer | Promise<Buffer>): Promise<string> {
  return createHash('sha256')
    .update(await data)
    .digest('hex');
}

describe('virtual disk formats', () => {
  it('raw: GPT and USR state read directly', async () => {
    const info = await inspectImage(raw);
    expect(info).toMatchObject({
      format: 'raw',
      subformat: 'gpt',
      compression: 'none',
      partitionTable: 'gpt',
      virtualSize: { bytes: SIZE, source: 'file size' },
    });
    expect(info.gpt?.partitions.map((p) => p.name)).toEqual(['EFI-SYSTEM', 'USR-A', 'USR-B']);
    expect(info.usr).toMatchObject({ next: 'USR-A', active: 'USR-A' });
  });

  for (const [fmt, opts, expected] of [
    ['qcow2', [], { format: 'qcow2', source: 'qcow2 header' }],
    ['vmdk', [], { format: 'vmdk', source: 'vmdk header' }],
    [
      'vpc',
      ['-o', 'subformat=fixed,force_size=on'],
      { format: 'vhd', subformat: 'fixed', source: 'vhd footer' },
    ],
    [
      'vpc',
      ['-o', 'subformat=dynamic,force_size=on'],
      { format: 'vhd', subformat: 'dynamic', source: 'vhd footer' },
    ],
  ] as const) {
    it(`${expected.format}${'subformat' in expected ? ` (${expected.subformat})` : ''}: size like qemu-img info, same partitions as the raw disk`, async () => {
      const out = join(dir, `disk.${fmt}.${'subformat' in expected ? expected.subformat : 'x'}`);
      await run('qemu-img', ['convert', '-f', 'raw', '-O', fmt, ...opts, raw, out]);
      const info = await inspectImage(out);
      expect(info.format).toBe(expected.format);
      if ('subformat' in expected) expect(info.subformat).toBe(expected.subformat);
      expect(info.virtualSize?.source).toBe(expected.source);
      // qemu-img only recognises a fixed VHD when told (-f vpc); it probes it as raw otherwise.
      expect(info.virtualSize?.bytes).toBe((await qemuImgInfo(out, fmt))['virtual-size']);
      expect(info.partitionTable).toBe('gpt');
      const rawInfo = await inspectImage(raw);
      expect(info.gpt?.partitions).toEqual(rawInfo.gpt?.partitions);
      expect(info.gpt?.source).toBe('primary');
      expect(info.usr?.next).toBe('USR-A');
    });
  }

  it('a file that is no disk image is NOT_A_DISK_IMAGE (exit 2); a missing one INPUT_NOT_FOUND', async () => {
    const txt = join(dir, 'notes.txt');
    await writeFile(txt, 'just some text, nothing to boot\n'.repeat(100));
    await expect(inspectImage(txt)).rejects.toMatchObject({ code: 'NOT_A_DISK_IMAGE', exitCode: 2 });
    await expect(inspectImage(join(dir, 'missing.img'))).rejects.toMatchObject({
      code: 'INPUT_NOT_FOUND',
      exitCode: 2,
    });
  });
});

describe('compressed images', () => {
  const tools: [Compression, string, string[]][] = [
    ['gzip', 'gzip', ['-1', '-c']],
    ['bzip2', 'bzip2', ['-1', '-c']],
    ['xz', 'xz', ['-0', '-T1', '-c']],
    ['zstd', 'zstd', ['-1', '-q', '-c']],
    ['lz4', 'lz4', ['-1', '-q', '-c']],
  ];
  for (const [compression, tool, args] of tools) {
    it(`${compression}: detected by magic, streamed back byte-identical, GPT read from the head`, async () => {
      const out = join(dir, `disk.img.${compression}`);
      const { stdout } = await run('sh', ['-c', `${tool} ${args.join(' ')} "$1" > "$2"`, 'sh', raw, out]);
      expect(stdout).toBe('');
      const info = await inspectImage(out);
      expect(info).toMatchObject({
        compression,
        format: 'raw',
        partitionTable: 'gpt',
        virtualSize: { bytes: SIZE, source: 'gpt header' },
      });
      expect(info.gpt?.partitions).toHaveLength(3);
      expect(info.usr?.next).toBe('USR-A');

      const stream = await openDecompressedStream(out, compression);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      expect(await sha(Buffer.concat(chunks))).toBe(await sha(readFile(raw)));

      const head = await readDecompressedHead(out, compression, 4096);
      expect(head).toEqual((await readFile(raw)).subarray(0, 4096));
    });
  }

  it('a corrupt compressed stream fails with IMAGE_BAD_COMPRESSION naming the file', async () => {
    for (const [compression, tool, args] of tools) {
      const out = join(dir, `bad.img.${compression}`);
      await run('sh', ['-c', `${tool} ${args.join(' ')} "$1" > "$2"`, 'sh', raw, out]);
      const data = await readFile(out);
      // keep the magic, cut the rest short and garble it
      const bad = Buffer.concat([data.subarray(0, 64), Buffer.alloc(64, 0x5a)]);
      await writeFile(out, bad);
      const stream = await openDecompressedStream(out, compression);
      const err = await (async () => {
        try {
          for await (const _ of stream) {
            /* drain */
          }
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, compression).toMatchObject({ code: 'IMAGE_BAD_COMPRESSION', exitCode: 2 });
      expect((err as Error).message).toContain(out);
    }
  });
});
