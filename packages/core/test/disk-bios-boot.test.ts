// Integration: installGrubBios on a Flatcar-layout image file, checked byte by byte and with the
// real sgdisk (the GPT and protective MBR must survive). The real boot through SeaBIOS → GRUB is
// kola's test (packages/kola/test/qemu.test.ts, the systemd image's BIOS disk boot).
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from './helpers/rejection.js';
import {
  builtinLayout,
  createLayoutImage,
  installGrubBios,
  parseLayoutConfig,
  readGpt,
  run,
} from '@mantle/core';

let dir: string;
let bootImg: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-bios-it-'));
  // a stand-in boot.img: recognizable code bytes, GRUB's mark at 510
  bootImg = Buffer.alloc(512, 0xb0);
  bootImg.writeUInt16LE(0xaa55, 510);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A core.img stand-in: `sectors` sectors, each filled with its index + 1. */
function coreImg(sectors: number): Buffer {
  const b = Buffer.alloc(sectors * 512);
  for (let i = 0; i < sectors; i++) b.fill(i + 1, i * 512, (i + 1) * 512);
  return b;
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(length);
    await fh.read(b, 0, length, offset);
    return b;
  } finally {
    await fh.close();
  }
}

describe('installGrubBios (no grub-install, no root)', () => {
  it('puts the boot code into the MBR and core.img into BIOS-BOOT with the two pointers patched; the GPT stays valid', async () => {
    const img = join(dir, 'flatcar.img');
    await createLayoutImage({ out: img, layout: builtinLayout('flatcar') });
    const before = await readAt(img, 0, 512);
    const table = await readGpt(img);
    const bios = table.partitions.find((p) => p.name === 'BIOS-BOOT');
    expect(bios).toBeDefined();

    const r = await installGrubBios({ image: img, bootImg, coreImg: coreImg(5) });
    expect(r).toEqual({ partition: bios!.number, firstSector: bios!.startLba, sectors: 5 });

    const mbr = await readAt(img, 0, 512);
    // boot code from boot.img, BPB area from the old sector, pointers patched
    expect(mbr[0]).toBe(0xb0);
    expect(mbr.subarray(0x03, 0x5a).equals(before.subarray(0x03, 0x5a))).toBe(true);
    expect(mbr.readBigUInt64LE(0x5c)).toBe(BigInt(bios!.startLba));
    expect(mbr[0x64]).toBe(0xff);
    expect([mbr[0x66], mbr[0x67]]).toEqual([0x90, 0x90]);
    // disk signature, protective partition table and 0x55AA are the disk's own
    expect(mbr.subarray(0x1b8).equals(before.subarray(0x1b8))).toBe(true);

    const core = await readAt(img, bios!.startLba * 512, 5 * 512);
    // diskboot's block list: the rest of core.img, right after its first sector
    expect(core.readBigUInt64LE(500)).toBe(BigInt(bios!.startLba + 1));
    expect(core.readUInt16LE(508)).toBe(4);
    expect(core[0]).toBe(1);
    expect(core[4 * 512]).toBe(5);
    expect(await readGpt(img)).toEqual(table);
    const v = await run('sgdisk', ['-v', img]);
    expect(v.stdout).toContain('No problems found');
  });

  it('refuses bad input naming the file and the way out, and leaves the image alone', async () => {
    const img = join(dir, 'plain.img');
    await createLayoutImage({
      out: img,
      layout: parseLayoutConfig(
        {
          metadata: { part_alignment: 2048, disk_alignment: 2048, block_size: 512, fs_block_size: 4096 },
          partitions: {
            '1': { label: 'DATA', type: 'data', blocks: '8192' },
            '2': { label: 'TINY-BIOS', type: 'bios', blocks: '4' },
          },
        },
        { source: 'test' },
      ),
    });
    const snapshot = await readFile(img);
    const cases: [Parameters<typeof installGrubBios>[0], string, RegExp][] = [
      [
        { image: img, bootImg: Buffer.alloc(100), coreImg: coreImg(2) },
        'BAD_BOOT_IMG',
        /not GRUB's boot.img/,
      ],
      [{ image: img, bootImg, coreImg: Buffer.alloc(10) }, 'BAD_CORE_IMG', /too small for a GRUB core.img/],
      [
        { image: img, bootImg, coreImg: coreImg(5) },
        'CORE_IMG_TOO_BIG',
        /core.img needs 5 sectors, partition 2 \(TINY-BIOS\) has 4/,
      ],
      [
        { image: img, bootImg, coreImg: coreImg(2), partition: 'DATA' },
        'NOT_BIOS_BOOT_PARTITION',
        /partition 1 \(DATA\) has type .*, not BIOS boot/,
      ],
      [
        { image: img, bootImg, coreImg: coreImg(2), partition: 7 },
        'PARTITION_NOT_FOUND',
        /has no partition number 7/,
      ],
    ];
    for (const [opts, code, msg] of cases) {
      const e = await rejection(installGrubBios(opts));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(msg);
      expect(e.hint).toBeTruthy();
    }
    expect((await readFile(img)).equals(snapshot)).toBe(true);

    const none = join(dir, 'none.img');
    await createLayoutImage({
      out: none,
      layout: parseLayoutConfig(
        {
          metadata: { part_alignment: 2048, disk_alignment: 2048, block_size: 512, fs_block_size: 4096 },
          partitions: { '1': { label: 'DATA', type: 'data', blocks: '8192' } },
        },
        { source: 'test' },
      ),
    });
    const e = await rejection(installGrubBios({ image: none, bootImg, coreImg: coreImg(2) }));
    expect(e.code).toBe('NO_BIOS_BOOT_PARTITION');
    expect(e.message).toContain('its partitions: 1 DATA');
    const notDisk = join(dir, 'not-a-disk');
    await writeFile(notDisk, Buffer.alloc(64 * 1024));
    await expect(installGrubBios({ image: notDisk, bootImg, coreImg: coreImg(2) })).rejects.toThrow(
      /not-a-disk/,
    );
  });
});
