import { describe, expect, it } from 'vitest';
import { editDistance } from './edit-distance.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('storage', 'storag')).toBe(1);
    expect(editDistance('systemd', 'sytsemd')).toBe(2);
    expect(editDistance('flaw', 'lawn')).toBe(2);
  });

  it('is symmetric', () => {
    for (const [a, b] of [
      ['passwd', 'password'],
      ['ignition', 'ingition'],
      ['', 'x'],
    ] as const)
      expect(editDistance(a, b)).toBe(editDistance(b, a));
  });
});
