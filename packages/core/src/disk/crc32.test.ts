import { describe, expect, it } from 'vitest';
import { crc32, crc32Update } from './crc32.js';

describe('crc32', () => {
  it('matches the IEEE check value and known vectors', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
    expect(crc32(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('gives the same result in pieces as in one go, across the 8-byte fast path', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 0xff));
    const whole = crc32(data);
    for (const cut of [1, 7, 8, 9, 500, 999]) {
      expect(crc32Update(crc32(data.subarray(0, cut)), data.subarray(cut))).toBe(whole);
    }
    // Byte-at-a-time reference (slow path only).
    let c = 0;
    for (const b of data) c = crc32Update(c, Buffer.from([b]));
    expect(c).toBe(whole);
  });
});
