import { describe, expect, it } from 'vitest';
import { GoFloat } from '../go/go-format.js';
import { gjsonGet } from './gjson.js';
import { findPatterns, isRegexPattern } from './have-patterns.js';
import { compareSemver, parseSemver, parseSemverRange } from './semver.js';

const DOC = JSON.stringify({
  name: { first: 'Tom', last: 'Anderson' },
  age: 37,
  'fav.movie': 'Deer Hunter',
  children: ['Sara', 'Alex', 'Jack'],
  friends: [
    { first: 'Dale', last: 'Murphy', age: 44 },
    { first: 'Roger', last: 'Craig', age: 68 },
    { first: 'Jane', last: 'Murphy', age: 47 },
  ],
});

const get = (path: string): unknown => {
  const r = gjsonGet(DOC, path);
  return r.exists ? JSON.parse(JSON.stringify(r.value)) : '(missing)';
};

describe('gjson paths', () => {
  it('reads keys, escapes, wildcards, indexes, counts and every element', () => {
    expect(get('name.last')).toBe('Anderson');
    expect(get('fav\\.movie')).toBe('Deer Hunter');
    expect(get('na*.fi?st')).toBe('Tom');
    expect(get('children.1')).toBe('Alex');
    expect(get('children.#')).toBe(3);
    expect(get('friends.#.first')).toEqual(['Dale', 'Roger', 'Jane']);
    expect(get('nope')).toBe('(missing)');
    expect(gjsonGet(DOC, 'age').value).toEqual(new GoFloat(37));
  });

  it('queries: first match, all matches, comparisons and patterns', () => {
    expect(get('friends.#(last=="Murphy").first')).toBe('Dale');
    expect(get('friends.#(last=="Murphy")#.first')).toEqual(['Dale', 'Jane']);
    expect(get('friends.#(age>45)#.last')).toEqual(['Craig', 'Murphy']);
    expect(get('friends.#(first%"D*").last')).toBe('Murphy');
    expect(get('children.#(=="Jack")')).toBe('Jack');
  });

  it('modifiers and pipes', () => {
    expect(get('@this')).toHaveProperty('age', 37);
    expect(get('children|@reverse|0')).toBe('Jack');
    expect(get('name|@keys')).toEqual(['first', 'last']);
  });
});

describe('semver (blang/semver as goss uses it)', () => {
  it('parses strict versions only', () => {
    expect(parseSemver('1.2.3-rc.1+build.5')).toEqual({ major: 1, minor: 2, patch: 3, pre: ['rc', 1] });
    expect(parseSemver('1.2')).toBeUndefined();
    expect(parseSemver('v1.2.3')).toBeUndefined();
    expect(parseSemver('01.2.3')).toBeUndefined();
  });

  it('orders pre-releases below their release', () => {
    const v = (s: string) => parseSemver(s) as NonNullable<ReturnType<typeof parseSemver>>;
    expect(compareSemver(v('1.0.0-alpha'), v('1.0.0'))).toBe(-1);
    expect(compareSemver(v('1.0.0-alpha.1'), v('1.0.0-alpha.beta'))).toBe(-1);
    expect(compareSemver(v('2.0.0'), v('1.99.99'))).toBe(1);
  });

  it('ranges: AND by spaces, OR by ||, != and wildcards', () => {
    const ok = (range: string, version: string) =>
      parseSemverRange(range)?.(parseSemver(version) as NonNullable<ReturnType<typeof parseSemver>>);
    expect(ok('>1.0.0 <2.0.0 !=1.5.0', '1.4.9')).toBe(true);
    expect(ok('>1.0.0 <2.0.0 !=1.5.0', '1.5.0')).toBe(false);
    expect(ok('>5.0.0 || < 1.5.0', '1.0.1')).toBe(true);
    expect(ok('1.2.x', '1.2.9')).toBe(true);
    expect(ok('1.2.x', '1.3.0')).toBe(false);
    expect(ok('>= 1.0.0', '1.0.0')).toBe(true);
    expect(parseSemverRange('^1.0.0')).toBeUndefined();
  });
});

describe('line patterns (have-patterns)', () => {
  it('finds plain, /regex/ and !negated patterns line by line', () => {
    const text = 'foo bar\nmoo cow\n';
    expect(findPatterns(['foo', '/^m.*w$/', '!baz', '!/^x/'], text).missing).toEqual([]);
    expect(findPatterns(['fox', '!foo', '/^t/'], text).missing).toEqual(['fox', '!foo', '/^t/']);
    expect(findPatterns(['/BAR/i'], text).missing).toEqual([]);
    expect(findPatterns([''], '').missing).toEqual([]);
    // goss strips every leading \ / ! of a plain pattern: "\!foo" looks for foo
    expect(findPatterns(['\\!foo'], 'foo').missing).toEqual([]);
  });

  it('tells /regex/ from text as goss does', () => {
    expect(isRegexPattern('/a/')).toBe(true);
    expect(isRegexPattern('!/a/ims')).toBe(true);
    expect(isRegexPattern('/a/x')).toBe(false);
    expect(isRegexPattern('/usr/bin')).toBe(false); // "bin" is no flags
    expect(isRegexPattern('/usr/sbin/s')).toBe(true); // but "s" is
    expect(isRegexPattern('/')).toBe(false);
  });
});
