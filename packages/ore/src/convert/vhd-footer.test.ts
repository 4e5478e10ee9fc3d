import { describe, expect, it } from 'vitest';
import { alignVhdSize, decodeVhdFooter, encodeVhdFooter, vhdChecksum, vhdGeometry } from './vhd-footer.js';

describe('VHD footer', () => {
  it('encodes what qemu-img writes for a fixed disk (cookie, type, sizes, checksum)', () => {
    const size = 13212057600;
    const f = encodeVhdFooter(size, {
      timestamp: new Date('2024-01-01T00:00:00Z'),
      uniqueId: Buffer.alloc(16, 1),
    });
    expect(f.length).toBe(512);
    expect(f.toString('latin1', 0, 8)).toBe('conectix');
    const d = decodeVhdFooter(f)!;
    expect(d).toMatchObject({ size, diskType: 2, creatorApp: 'qem2', checksumOk: true });
    expect(d.timestamp.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(f.readBigUInt64BE(40)).toBe(BigInt(size)); // original size
    expect(f.readBigUInt64BE(16)).toBe(0xffffffffffffffffn); // no data offset
    // the maximum geometry, as qemu-img -o force_size writes it
    expect(d.geometry).toEqual({ cylinders: 65535, heads: 16, sectorsPerTrack: 255 });
    // the spec's CHS (what qemu-img writes without force_size) on request
    const chs = decodeVhdFooter(encodeVhdFooter(size, { geometry: 'chs' }))!;
    expect(chs.geometry).toEqual({ cylinders: 25600, heads: 16, sectorsPerTrack: 63 });
  });

  it('geometry follows the spec table for small and huge disks', () => {
    expect(vhdGeometry(2048)).toEqual({ cylinders: 30, heads: 4, sectorsPerTrack: 17 });
    expect(vhdGeometry(65535 * 16 * 255 * 2)).toEqual({ cylinders: 65535, heads: 16, sectorsPerTrack: 255 });
  });

  it('a flipped byte breaks the checksum; non-footers decode to undefined', () => {
    const f = encodeVhdFooter(1024 * 1024);
    f[100] = 7;
    expect(decodeVhdFooter(f)?.checksumOk).toBe(false);
    expect(vhdChecksum(f)).not.toBe(f.readUInt32BE(64));
    expect(decodeVhdFooter(Buffer.alloc(512))).toBeUndefined();
  });

  it('rejects sizes that are not whole sectors and aligns to MiB', () => {
    expect(() => encodeVhdFooter(1000)).toThrow(RangeError);
    expect(alignVhdSize(1)).toBe(1024 * 1024);
    expect(alignVhdSize(1024 * 1024)).toBe(1024 * 1024);
    expect(alignVhdSize(1024 * 1024 + 512)).toBe(2 * 1024 * 1024);
  });
});
