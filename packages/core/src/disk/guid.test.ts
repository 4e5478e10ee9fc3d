import { describe, expect, it } from 'vitest';
import { isGuid, normalizeGuid, randomGuid, readGuid, writeGuid } from './guid.js';

describe('guid', () => {
  it('stores the first three fields little-endian (the EFI System type as on disk)', () => {
    const buf = Buffer.alloc(16);
    writeGuid(buf, 0, 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b');
    expect(buf.toString('hex')).toBe('2873' + '2ac1' + '1ff8' + 'd211' + 'ba4b00a0c93ec93b');
    expect(readGuid(buf, 0)).toBe('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
  });

  it('round-trips random GUIDs and validates', () => {
    const g = randomGuid();
    expect(isGuid(g)).toBe(true);
    const buf = Buffer.alloc(20);
    writeGuid(buf, 4, g);
    expect(readGuid(buf, 4)).toBe(g);
    expect(isGuid('nope')).toBe(false);
    expect(() => normalizeGuid('1234')).toThrow(/not a GUID/);
  });
});
