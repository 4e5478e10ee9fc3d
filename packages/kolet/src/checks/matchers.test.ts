import { describe, expect, it } from 'vitest';
import { parsePattern, patternHolds, unmetPatterns } from './matchers.js';

describe('patterns', () => {
  it('matches substrings, regexes (multi-line) and negations', () => {
    const text = 'root:x:0:0\nnobody:x:65534\n';
    expect(patternHolds(text, parsePattern('nobody'))).toBe(true);
    expect(patternHolds(text, parsePattern('/^nobody:/'))).toBe(true);
    expect(patternHolds(text, parsePattern('/^x:/'))).toBe(false);
    expect(patternHolds(text, parsePattern('!daemon'))).toBe(true);
    expect(patternHolds(text, parsePattern('!root'))).toBe(false);
    expect(patternHolds('ROOT', parsePattern('/root/i'))).toBe(true);
  });

  it('escapes a leading ! or / to mean the character itself', () => {
    expect(parsePattern('\\!important')).toMatchObject({ negate: false, text: '!important' });
    expect(parsePattern('\\/etc/')).toMatchObject({ text: '/etc/', regex: undefined });
    expect(parsePattern('/usr/bin')).toMatchObject({ text: '/usr/bin', regex: undefined });
  });

  it('lists the unmet ones and rejects broken regexes', () => {
    expect(
      unmetPatterns('a b', [parsePattern('a'), parsePattern('c'), parsePattern('!b')]).map((p) => p.source),
    ).toEqual(['c', '!b']);
    expect(() => parsePattern('/[/')).toThrow(/invalid regular expression \/\[\//);
  });
});
