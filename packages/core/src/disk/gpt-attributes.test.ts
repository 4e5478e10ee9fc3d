import { describe, expect, it } from 'vitest';
import { attrsHex, formatAttrs, hasAttrBit, parseAttrs, setAttrBit } from './gpt-attributes.js';

describe('gpt attributes', () => {
  it('formats like sfdisk', () => {
    expect(formatAttrs((1n << 48n) | (1n << 56n))).toBe('GUID:48,56');
    expect(formatAttrs(0b101n)).toBe('RequiredPartition LegacyBIOSBootable');
    expect(formatAttrs(1n << 10n)).toBe('');
    expect(formatAttrs(0n)).toBe('');
  });

  it('parses sfdisk words, bit lists and hex, keeping bit 63', () => {
    expect(parseAttrs('GUID:48,56')).toBe((1n << 48n) | (1n << 56n));
    expect(parseAttrs('LegacyBIOSBootable GUID:63')).toBe(4n | (1n << 63n));
    expect(parseAttrs(['48', 56])).toBe((1n << 48n) | (1n << 56n));
    expect(parseAttrs('0x0101000000000000')).toBe((1n << 48n) | (1n << 56n));
    expect(() => parseAttrs('Bogus')).toThrow(/unknown attribute "Bogus"/);
    expect(() => parseAttrs('GUID:64')).toThrow(/out of range/);
    expect(attrsHex(1n << 63n)).toBe('0x8000000000000000');
    expect(hasAttrBit(setAttrBit(0n, 63), 63)).toBe(true);
    expect(setAttrBit(1n << 63n, 63, false)).toBe(0n);
  });
});
