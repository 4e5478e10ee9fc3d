import { describe, expect, it } from 'vitest';
import { globToRegExp } from './inventory.js';

describe('globToRegExp (remove-vms/list-vms --pattern, as Go path.Match reads it)', () => {
  it('matches *, ? and classes, anchored, with regex characters taken literally', () => {
    expect(globToRegExp('kola-*').test('kola-abc')).toBe(true);
    expect(globToRegExp('kola-*').test('xkola-abc')).toBe(false);
    expect(globToRegExp('vm?').test('vm1')).toBe(true);
    expect(globToRegExp('vm?').test('vm12')).toBe(false);
    expect(globToRegExp('vm[0-2]').test('vm2')).toBe(true);
    expect(globToRegExp('vm[!0-2]').test('vm2')).toBe(false);
    expect(globToRegExp('a.b+(c)').test('a.b+(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('an unclosed class is an input error naming --pattern', () => {
    expect(() => globToRegExp('vm[1')).toThrow(/--pattern/);
  });
});
