import { describe, expect, it } from 'vitest';
import { compileGlob, globMatcher } from './glob.js';

const pathMatch = (p: string) => compileGlob(p, { dialect: 'path-match', flag: '--pattern' });

describe('compileGlob, path-match dialect (Go path.Match: ore esx --pattern)', () => {
  it('matches *, ? and classes, anchored', () => {
    expect(pathMatch('kola-*')('kola-abc')).toBe(true);
    expect(pathMatch('kola-*')('xkola-abc')).toBe(false);
    expect(pathMatch('*')('.hidden')).toBe(true);
    expect(pathMatch('vm?')('vm1')).toBe(true);
    expect(pathMatch('vm?')('vm12')).toBe(false);
    expect(pathMatch('vm[0-2]')('vm2')).toBe(true);
    expect(pathMatch('vm[0-2]')('vm3')).toBe(false);
    expect(pathMatch('vm[!0-2]')('vm2')).toBe(false);
    expect(pathMatch('vm[!0-2]')('vm3')).toBe(true);
    expect(['vm1', 'xvm1', 'vm12'].filter(pathMatch('vm?'))).toEqual(['vm1']);
  });

  it('takes every other character literally: regex and picomatch syntax alike', () => {
    expect(pathMatch('a.b+(c)')('a.b+(c)')).toBe(true);
    expect(pathMatch('a.b+(c)')('a.bc')).toBe(false);
    expect(pathMatch('a.b')('axb')).toBe(false);
    expect(pathMatch('{a,b}-*')('{a,b}-1')).toBe(true);
    expect(pathMatch('{a,b}-*')('a-1')).toBe(false);
    expect(pathMatch('!vm')('!vm')).toBe(true);
    expect(pathMatch('!vm')('xx')).toBe(false);
    expect(pathMatch('@(x)|$^')('@(x)|$^')).toBe(true);
    expect(pathMatch('a\\*')('a\\bc')).toBe(true);
    expect(pathMatch('x[\\^]')('x^')).toBe(true);
    expect(pathMatch('x[\\^]')('x\\')).toBe(true);
    expect(pathMatch('x[\\^]')('xa')).toBe(false);
  });

  it("an unclosed or empty class is an input error naming the flag, with the caller's code", () => {
    expect(() => pathMatch('vm[1')).toThrow(/--pattern "vm\[1": "\[" without "\]"/);
    expect(() => pathMatch('vm[]')).toThrow(/matches no character/);
    let code: unknown;
    try {
      compileGlob('vm[1', { dialect: 'path-match', code: 'ESX_BAD_PATTERN' });
    } catch (err) {
      code = (err as { code?: string; exitCode?: number }).code;
      expect((err as { exitCode?: number }).exitCode).toBe(2);
    }
    expect(code).toBe('ESX_BAD_PATTERN');
  });
});

describe('globMatcher, picomatch dialect (kola test names)', () => {
  it('any of several globs, with braces and extglobs', () => {
    const m = globMatcher(['basic.*', 'cl.{ssh,lan}']);
    expect(['basic.ssh', 'cl.ssh', 'cl.lan', 'cl.other', 'xbasic.ssh'].filter(m)).toEqual([
      'basic.ssh',
      'cl.ssh',
      'cl.lan',
    ]);
    expect(globMatcher(['*.+(a|b)'])('x.ab')).toBe(true);
    expect(globMatcher(['!basic.*'])('cl.ssh')).toBe(true);
    expect(globMatcher(['!basic.*'])('basic.ssh')).toBe(false);
    expect(globMatcher([])('anything')).toBe(false);
  });
});
