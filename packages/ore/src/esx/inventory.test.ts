import { describe, expect, it } from 'vitest';
import { vmNameMatcher } from './inventory.js';

describe('vmNameMatcher (remove-vms/list-vms --pattern, as Go path.Match reads it)', () => {
  it('matches *, ? and classes, anchored, with regex characters taken literally', () => {
    expect(vmNameMatcher('kola-*')('kola-abc')).toBe(true);
    expect(vmNameMatcher('kola-*')('xkola-abc')).toBe(false);
    expect(vmNameMatcher('vm?')('vm1')).toBe(true);
    expect(vmNameMatcher('vm?')('vm12')).toBe(false);
    expect(vmNameMatcher('vm[0-2]')('vm2')).toBe(true);
    expect(vmNameMatcher('vm[!0-2]')('vm2')).toBe(false);
    expect(vmNameMatcher('a.b+(c)')('a.b+(c)')).toBe(true);
    expect(vmNameMatcher('a.b')('axb')).toBe(false);
  });

  it('an unclosed class is an input error naming --pattern', () => {
    expect(() => vmNameMatcher('vm[1')).toThrow(/--pattern/);
    expect(() => vmNameMatcher('vm[1')).toThrow(
      expect.objectContaining({ code: 'ESX_BAD_PATTERN', exitCode: 2 }),
    );
  });
});
