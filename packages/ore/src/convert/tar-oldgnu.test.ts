import { describe, expect, it } from 'vitest';
import { TAR_BLOCK, tarChecksumOk, tarHeaderName, tarNumber } from '@mantle/core/fs';
import { encodeTarHeader, storedSize, tarPadding } from './tar-oldgnu.js';

// Headers are read back with core's tar-header reader (checked against GNU tar's own headers).

describe('oldgnu tar headers', () => {
  it('a plain file: ustar-like header, oldgnu magic, valid checksum', () => {
    const h = encodeTarHeader({ name: 'disk.raw', size: 1536, mtime: new Date(0) });
    expect(h.length).toBe(TAR_BLOCK);
    expect(tarHeaderName(h)).toBe('disk.raw');
    expect(h.toString('latin1', 257, 265)).toBe('ustar  \0');
    expect(h.toString('latin1', 156, 157)).toBe('0');
    expect(tarNumber(h, 124, 12)).toBe(1536);
    expect(tarChecksumOk(h)).toBe(true);
  });

  it('a sparse file over 8 GiB: type S, base-256 real size and offsets, extension blocks', () => {
    const size = 12 * 1024 ** 3;
    const sparse = Array.from({ length: 30 }, (_, i) => ({ offset: i * 400 * 1024 ** 2, length: 4096 }));
    const h = encodeTarHeader({ name: 'disk.raw', size, sparse });
    // 4 in the header, 26 + the closing empty entry in two extension blocks of 21
    expect(h.length).toBe(3 * TAR_BLOCK);
    expect(h.toString('latin1', 156, 157)).toBe('S');
    expect(tarNumber(h, 124, 12)).toBe(30 * 4096);
    expect(h[483]).toBe(0x80);
    expect(tarNumber(h, 483, 12)).toBe(size);
    expect(h[482]).toBe(1);
    expect(h[TAR_BLOCK + 504]).toBe(1);
    expect(h[2 * TAR_BLOCK + 504]).toBe(0);
    // entry 29 (the 30th region, past 8 GiB) is the 5th of the second extension block
    const e = 2 * TAR_BLOCK + 4 * 24;
    expect(tarNumber(h, e, 12)).toBe(29 * 400 * 1024 ** 2);
    // the closing empty region at the end of the file
    expect(tarNumber(h, e + 24, 12)).toBe(size);
    expect(tarNumber(h, e + 36, 12)).toBe(0);
    expect(storedSize({ size, sparse })).toBe(30 * 4096);
  });

  it('pads to whole blocks and refuses long names', () => {
    expect(tarPadding(512).length).toBe(0);
    expect(tarPadding(513).length).toBe(511);
    expect(() => encodeTarHeader({ name: 'x'.repeat(101), size: 0 })).toThrow(RangeError);
  });
});
