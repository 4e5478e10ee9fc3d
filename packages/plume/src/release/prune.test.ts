import { describe, expect, it } from 'vitest';
import { compareVersions } from './prune.js';

describe('compareVersions', () => {
  it('orders release versions naturally, newest last', () => {
    const v = ['4081.10.0', '4081.2.0', '3975.2.1', '4081.9.1', '4081.2.0_nightly-20250101', '4152.0.0'];
    expect([...v].sort(compareVersions)).toEqual([
      '3975.2.1',
      '4081.2.0',
      '4081.2.0_nightly-20250101',
      '4081.9.1',
      '4081.10.0',
      '4152.0.0',
    ]);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
  });
});
