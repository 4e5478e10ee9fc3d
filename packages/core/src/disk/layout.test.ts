import { describe, expect, it } from 'vitest';
import { InputError } from '../errors/mantle-error.js';
import { PartitionType } from './partition-types.js';
import {
  builtinLayout,
  checkLayoutFits,
  layoutToGptSpec,
  parseLayoutConfig,
  parseSize,
  placeLayout,
} from './layout.js';

function layoutError(config: unknown, name?: string): InputError {
  try {
    placeLayout(parseLayoutConfig(config, { source: 'test.json', ...(name ? { name } : {}) }));
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

const small = (parts: Record<string, unknown>): unknown => ({
  metadata: { part_alignment: 2048, disk_alignment: 2048, block_size: 512, fs_block_size: 4096 },
  layouts: { base: parts },
});

describe('layout', () => {
  it('places the Flatcar base layout as disk_util does', () => {
    const placed = placeLayout(builtinLayout('flatcar'));
    const rows = placed.partitions.map((p) => [p.number, p.label, p.startLba, p.sizeLba]);
    expect(rows).toEqual([
      [1, 'EFI-SYSTEM', 4096, 2097152],
      [2, 'BIOS-BOOT', 2101248, 4096],
      [3, 'USR-A', 2105344, 4194304],
      [4, 'USR-B', 6299648, 4194304],
      [6, 'OEM', 10493952, 2097152],
      [7, 'OEM-CONFIG', 12591104, 131072],
      [9, 'ROOT', 12722176, 3653632],
    ]);
    expect(placed.alignedBytes).toBe(64 * 258048 * 512);
    expect(placed.layout.blank).toEqual([5, 8]);
    const usrA = placed.partitions.find((p) => p.label === 'USR-A')!;
    expect(usrA.attributes).toBe((1n << 48n) | (1n << 56n));
    expect(usrA.uuid).toBe('7130C94A-213A-4E5A-8E26-6CCE9662F132');
    expect(usrA.type).toBe(PartitionType.FLATCAR_USR);
    expect(placed.partitions.find((p) => p.label === 'USR-B')!.uuid).toBe(
      'E03DD35C-7C2D-4A47-B3FE-27F15780A57C',
    );
    expect(placed.partitions[0]!.attributes).toBe(4n);
    expect(layoutToGptSpec(placed).partitions).toHaveLength(7);
  });

  it('vm inherits base and only grows ROOT', () => {
    const vm = placeLayout(builtinLayout('vm'));
    const root = vm.partitions.find((p) => p.label === 'ROOT')!;
    expect(root.sizeLba).toBe(12943360);
    expect(root.type).toBe(PartitionType.FLATCAR_RESIZE);
    expect(root.fsType).toBe('ext4');
    expect(vm.partitions).toHaveLength(7);
  });

  it('prioritize gives the last listed partition priority 1 and earlier ones more', () => {
    const placed = placeLayout(
      parseLayoutConfig(
        small({
          '1': { type: 'data', label: 'A', blocks: 10, features: ['prioritize'] },
          '2': { type: 'data', label: 'B', blocks: 10, features: ['prioritize'] },
        }),
      ),
    );
    expect(placed.partitions.map((p) => (p.attributes >> 48n) & 0xfn)).toEqual([2n, 1n]);
  });

  it('rejects non-numeric blocks naming partition and field', () => {
    const e = layoutError(small({ '3': { type: 'data', label: 'X', blocks: '12abc' } }));
    expect(e.code).toBe('LAYOUT_INVALID');
    expect(e.message).toMatch(/partition 3: blocks "12abc" is not a whole number/);
    expect(e.details).toMatchObject({ partition: '3', field: 'blocks', file: 'test.json' });
  });

  it('rejects an unknown type alias', () => {
    const e = layoutError(small({ '2': { type: 'flatcar-usrr', label: 'X', blocks: 8 } }));
    expect(e.code).toBe('LAYOUT_UNKNOWN_TYPE');
    expect(e.message).toMatch(/partition 2: unknown type alias "flatcar-usrr"/);
  });

  it('rejects overlapping partitions (explicit first_block)', () => {
    const e = layoutError(
      small({
        '1': { type: 'data', label: 'A', blocks: 4096 },
        '2': { type: 'data', label: 'B', blocks: 10, first_block: 3000 },
      }),
    );
    expect(e.code).toBe('LAYOUT_OVERLAP');
    expect(e.message).toMatch(/partition 2: sectors 3000-3009 overlap partition 1/);
  });

  it('rejects a layout larger than the disk, naming the partition that does not fit', () => {
    const placed = placeLayout(builtinLayout('flatcar'));
    try {
      checkLayoutFits(placed, 4 * 1024 ** 3, 'disk.img');
      throw new Error('expected LAYOUT_TOO_LARGE');
    } catch (e) {
      expect((e as InputError).code).toBe('LAYOUT_TOO_LARGE');
      expect((e as InputError).message).toMatch(/partition 4 \(USR-B\) field blocks ends at sector 10493951/);
      expect((e as InputError).exitCode).toBe(2);
    }
    expect(() => checkLayoutFits(placed, placed.minBytes, 'disk.img')).not.toThrow();
  });

  it('rejects unknown fields, bad uuids, missing labels, unknown layouts, bad attrs', () => {
    expect(
      layoutError(small({ '1': { type: 'data', label: 'A', blocks: 1, colour: 'red' } })).message,
    ).toMatch(/unknown field "colour"/);
    expect(
      layoutError(small({ '1': { type: 'data', label: 'A', blocks: 1, uuid: 'x' } })).details,
    ).toMatchObject({ field: 'uuid' });
    expect(layoutError(small({ '1': { type: 'data', blocks: 1 } })).details).toMatchObject({
      field: 'label',
    });
    expect(
      layoutError(small({ '1': { type: 'data', label: 'A', blocks: 1, attrs: 'Nope' } })).details,
    ).toMatchObject({ field: 'attrs' });
    expect(layoutError(small({ '1': { type: 'data', label: 'A', blocks: 1 } }), 'nosuch').code).toBe(
      'LAYOUT_NOT_FOUND',
    );
    expect(layoutError(small({ '1': { type: 'data', label: 'A', blocks: 0 } })).details).toMatchObject({
      field: 'blocks',
    });
    expect(layoutError({ layouts: {} }).code).toBe('LAYOUT_NOT_FOUND');
  });

  it('names the field and value of every other bad field, and bad metadata', () => {
    const bad = (part: Record<string, unknown>): InputError =>
      layoutError(small({ '1': { type: 'data', label: 'A', blocks: 8, ...part } }));
    expect(bad({ fs_type: 'zfs' }).message).toMatch(
      /partition 1: fs_type "zfs" is not one of vfat, ext2, ext4, btrfs, squashfs, erofs/,
    );
    expect(bad({ features: 'hybrid' }).details).toMatchObject({ field: 'features' });
    expect(bad({ features: ['hybrid', 3] }).message).toMatch(/features must be a list of strings/);
    expect(bad({ label: 'L'.repeat(37) }).message).toMatch(/label "L{37}" is longer than 36 characters/);
    expect(bad({ block_size: 4096 }).message).toMatch(/block_size 4096 differs from metadata.block_size 512/);
    expect(bad({ part_alignment: 0 }).details).toMatchObject({ field: 'part_alignment' });
    expect(bad({ fs_blocks: 100 }).message).toMatch(
      /fs_blocks 100 × 4096 bytes is larger than the partition/,
    );
    expect(bad({ mount: 7 }).message).toMatch(/mount must be a string/);
    // A blank slot needs only a type; an unknown key is named before anything else.
    expect(
      parseLayoutConfig(small({ '1': { type: 'data', label: 'A', blocks: 8 }, '2': { type: 'blank' } }))
        .blank,
    ).toEqual([2]);
    expect(bad({ colour: 'red', blocks: 'x' }).message).toMatch(/unknown field "colour"/);
    const meta = (metadata: Record<string, unknown>): InputError =>
      layoutError({ metadata, layouts: { base: { '1': { type: 'data', label: 'A', blocks: 8 } } } });
    expect(meta({ block_size: 1024 }).message).toMatch(/metadata.block_size 1024 is not 512 or 4096/);
    expect(meta({ part_alignment: 'x' }).details).toMatchObject({ field: 'metadata.part_alignment' });
  });

  it('accepts the short form, GUID types and sfdisk-style attrs', () => {
    const l = parseLayoutConfig({
      partitions: {
        '1': {
          type: '0fc63daf-8483-4772-8e79-3d69d8477de4',
          label: 'D',
          blocks: '100',
          attrs: 'RequiredPartition GUID:60',
        },
      },
    });
    expect(l.partitions[0]).toMatchObject({ type: PartitionType.LINUX_DATA, attributes: 1n | (1n << 60n) });
    expect(placeLayout(l).partitions[0]!.startLba).toBe(2048);
  });

  it('parses sizes', () => {
    expect(parseSize('8G')).toBe(8 * 1024 ** 3);
    expect(parseSize('512MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('4096')).toBe(4096);
    expect(() => parseSize('lots')).toThrow(/is not a size/);
  });
});
