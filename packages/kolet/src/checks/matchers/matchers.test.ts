import { describe, expect, it } from 'vitest';
import { GoFloat } from '../go/go-format.js';
import { compileMatcher, MATCHER_NAMES } from './compile-matcher.js';
import { MatchError, MatcherSyntaxError } from './matcher.js';

/** pass / fail / error (with the error's message) of a matcher on a value. */
function judge(expected: unknown, actual: unknown): string {
  const m = compileMatcher(expected);
  try {
    return m.match(actual) ? 'pass' : 'fail';
  } catch (err) {
    if (err instanceof MatchError) return `error: ${err.message}`;
    throw err;
  }
}

function syntax(expected: unknown): string {
  try {
    compileMatcher(expected);
  } catch (err) {
    if (err instanceof MatcherSyntaxError) return err.message;
    throw err;
  }
  throw new Error('compiled');
}

// Every matcher: a value it passes, one it fails, and a value of a type it cannot take.
const CASES: {
  name: string;
  expected: unknown;
  pass: unknown;
  fail: unknown;
  mismatch: [unknown, RegExp];
}[] = [
  {
    name: 'equal',
    expected: { equal: ['a', 'b'] },
    pass: ['a', 'b'],
    fail: ['b', 'a'],
    mismatch: ['a\nb', /^fail$/],
  },
  // String matchers see every value through to-string: another type is a value that does not match.
  {
    name: 'have-prefix',
    expected: { 'have-prefix': 'ab' },
    pass: 'abc',
    fail: 'xab',
    mismatch: [{ ab: 1 }, /^fail$/],
  },
  {
    name: 'have-suffix',
    expected: { 'have-suffix': 'bc' },
    pass: 'abc',
    fail: 'bca',
    mismatch: [{ a: 1 }, /^fail$/],
  },
  {
    name: 'contain-substring',
    expected: { 'contain-substring': 'b' },
    pass: 'abc',
    fail: 'xyz',
    mismatch: [true, /^fail$/],
  },
  {
    name: 'match-regexp',
    expected: { 'match-regexp': '^\\d+\\.\\d+$' },
    pass: '1.25',
    fail: 'v1.25',
    mismatch: [12, /^fail$/],
  },
  {
    name: 'have-len',
    expected: { 'have-len': 3 },
    pass: 'abc',
    fail: [1, 2],
    mismatch: [5, /HaveLen matcher expects a string\/array\/map/],
  },
  {
    name: 'have-key',
    expected: { 'have-key': 'x' },
    pass: { x: 1 },
    fail: { y: 1 },
    mismatch: [['x'], /HaveKey matcher expects a map/],
  },
  {
    name: 'have-patterns',
    expected: { 'have-patterns': ['foo', '/^b.r$/', '!baz'] },
    pass: 'foo\nbar\n',
    fail: 'foo\nbaz\nbar',
    mismatch: [{ a: 1 }, /^fail$/],
  },
  {
    name: 'contain-element',
    expected: { 'contain-element': { 'have-prefix': 'b' } },
    pass: ['a', 'bc'],
    fail: ['a', 'c'],
    mismatch: [7, /ContainElement matcher expects an array\/slice\/map/],
  },
  {
    name: 'contain-elements',
    expected: { 'contain-elements': ['a', 'b'] },
    pass: ['c', 'b', 'a'],
    fail: ['a', 'c'],
    mismatch: [3, /ContainElements matcher expects an array\/slice\/map/],
  },
  {
    name: 'consist-of',
    expected: { 'consist-of': ['a', { 'have-prefix': 'b' }] },
    pass: ['bx', 'a'],
    fail: ['a', 'bx', 'c'],
    mismatch: ['a\nbx', /ConsistOf matcher expects an array\/slice\/map/],
  },
  {
    name: 'not',
    expected: { not: { 'contain-substring': 'x' } },
    pass: 'abc',
    fail: 'xyz',
    mismatch: [[1], /^pass$/],
  },
  {
    name: 'and',
    expected: { and: [{ 'have-prefix': 'a' }, { 'have-suffix': 'c' }] },
    pass: 'abc',
    fail: 'abd',
    mismatch: [[], /^fail$/],
  },
  {
    name: 'or',
    expected: { or: [{ 'have-prefix': 'x' }, { 'have-suffix': 'c' }] },
    pass: 'abc',
    fail: 'abd',
    mismatch: [{}, /^fail$/],
  },
  {
    name: 'gt',
    expected: { gt: 5 },
    pass: 6,
    fail: 5,
    mismatch: ['five', /ToNumeric\{\}: strconv.ParseFloat: parsing "five": invalid syntax/],
  },
  { name: 'ge', expected: { ge: 5 }, pass: '5', fail: 4.9, mismatch: [true, /Expected numeric, Got:/] },
  { name: 'lt', expected: { lt: 5 }, pass: ' 4 ', fail: 5, mismatch: [{ a: 1 }, /Expected numeric/] },
  { name: 'le', expected: { le: 5 }, pass: 5, fail: '5.5', mismatch: [null, /Expected numeric/] },
  {
    name: 'semver-constraint',
    expected: { 'semver-constraint': '>1.0.0 <2.0.0 !=1.5.0' },
    pass: ['1.0.1', '1.9.9'],
    fail: ['1.0.1', '1.5.0'],
    mismatch: ['1.2', /Expected a single or list of semver valid version/],
  },
  {
    name: 'gjson',
    expected: { gjson: { 'a.b': 5, a: { 'have-key': 'b' } } },
    pass: '{"a":{"b":5}}',
    fail: '{"a":{"b":6}}',
    mismatch: ['not json', /Gjson\{Path:".*"\}: Invalid json/],
  },
  { name: 'a plain string', expected: '42', pass: 42, fail: '43', mismatch: [null, /^fail$/] },
  {
    name: 'a plain number',
    expected: 42,
    pass: '42\n',
    fail: 41,
    mismatch: [['4', '2'], /strconv.ParseFloat: parsing "4\\n2"/],
  },
  { name: 'a boolean', expected: true, pass: true, fail: false, mismatch: ['true', /^fail$/] },
  {
    name: 'a list (contain-elements)',
    expected: ['b', 'a'],
    pass: ['a', 'b', 'c'],
    fail: ['a', 'a'],
    mismatch: ['a', /ContainElements matcher expects an array\/slice\/map/],
  },
];

describe('goss matchers', () => {
  it('covers every matcher goss has', () => {
    const covered = new Set(CASES.map((c) => c.name));
    for (const name of MATCHER_NAMES) if (name !== 'equal') expect(covered.has(name), name).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.name}: passes, fails, and reports a value of the wrong type`, () => {
      expect(judge(c.expected, c.pass)).toBe('pass');
      expect(judge(c.expected, c.fail)).toBe('fail');
      expect(judge(c.expected, c.mismatch[0])).toMatch(c.mismatch[1]);
    });
  }

  it('refuses to compare nothing with nothing (gomega)', () => {
    expect(judge({ equal: null }, null)).toMatch(/^error: Refusing to compare <nil> to <nil>/);
  });

  it('pairs list elements with distinct values, as gomega does', () => {
    expect(judge(['group1', 'group2'], ['group1', 'group2', 'group3'])).toBe('pass');
    expect(judge(['group1', 'group2', 'group2'], ['group1', 'group2', 'group3'])).toBe('fail');
    expect(judge({ 'consist-of': ['a', 'a'] }, ['a', 'a'])).toBe('pass');
  });

  it('converts values as goss transforms them: to-string, to-numeric, to-array', () => {
    expect(judge('1000', 1000)).toBe('pass'); // to-string of an int
    expect(judge('0.5', 0.5)).toBe('pass');
    expect(judge(128, '128')).toBe('pass'); // to-numeric of text
    expect(judge(128.5, new GoFloat(128.5))).toBe('pass');
    expect(judge({ 'contain-element': 'b' }, 'a\nb\n')).toBe('pass'); // to-array: lines
    expect(judge({ 'have-len': 3 }, ['a', 'b', ''])).toBe('pass');
    expect(judge('a\nb', ['a', 'b'])).toBe('pass'); // a list joined by newlines
  });

  it('reports the failing matcher with the transform chain and the raw value', () => {
    const m = compileMatcher({ and: [{ 'have-prefix': 'x' }] });
    expect(m.match(12)).toBe(false);
    const r = m.failureResult(12);
    expect(r.message).toBe('to have prefix');
    expect(r.actual).toBe('12');
    expect(r.expected).toBe('x');
    expect(JSON.stringify(r.transformChain)).toBe('[{"to-string":{}}]');
    expect(r.untransformedValue).toBe(12);
  });

  it('lists the missing and extra elements of consist-of', () => {
    const m = compileMatcher({ 'consist-of': ['a', 'z'] });
    expect(m.match(['a', 'b'])).toBe(false);
    const r = m.failureResult(['a', 'b']);
    expect(JSON.stringify(r.missingElements)).toBe('["z"]');
    expect(r.extraElements).toEqual(['b']);
  });

  it('negates with not: the failure is the inner matcher negated', () => {
    const m = compileMatcher({ not: { 'have-len': 3 } });
    expect(m.match('abc')).toBe(false);
    expect(m.failureResult('abc').message).toBe('not to have length');
  });

  it('rejects what goss cannot build, with goss wording', () => {
    expect(syntax({ 'have-prefx': 'a' })).toBe('Syntax Error: Unknown matcher: have-prefx');
    expect(syntax({ 'have-prefix': 5 })).toBe(
      "Syntax Error: Invalid 'have-prefix' argument. Expected string value, but received: int: %!q(int=5)",
    );
    expect(syntax({ 'have-prefix': 'a', 'have-suffix': 'b' })).toMatch(/only one matcher is allowed/);
    expect(syntax(null)).toBe('Syntax Error: Missing required attribute');
    expect(syntax({ 'contain-element': true })).toMatch(/Expected matcher, string or numeric value/);
    expect(syntax({ and: 'x' })).toMatch(/Invalid 'and' argument. Expected array value/);
    expect(syntax({ xml: { xpath: '/a', result: 'b' } })).toMatch(/xml matcher \(XPath\) is not supported/);
  });

  it('reads Go regular expressions: named groups, leading flags, POSIX classes', () => {
    expect(judge({ 'match-regexp': '(?i)^HELLO' }, 'hello world')).toBe('pass');
    expect(judge({ 'match-regexp': '(?P<v>[[:digit:]]+)\\z' }, 'v 12')).toBe('pass');
    expect(judge({ 'match-regexp': '\\Qa.b\\E' }, 'axb')).toBe('fail');
    expect(judge({ 'match-regexp': '(?=x)' }, 'x')).toMatch(/RegExp match failed to compile/);
  });
});
