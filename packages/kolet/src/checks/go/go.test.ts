import { describe, expect, it } from 'vitest';
import { GoFloat, formatGoFloat, formatObject, goJson, goSprint } from './go-format.js';
import { goSprintf } from './go-printf.js';
import { GoRegexpError, goRegexp, translateGoRegexp } from './go-regexp.js';

describe("Go's fmt as goss's output depends on it", () => {
  it('prints %v as Go does: ints, floats in %g form, lists, maps with sorted keys, nil', () => {
    expect(goSprint(42)).toBe('42');
    expect(goSprint(0.5)).toBe('0.5');
    expect(goSprint(new GoFloat(1e6))).toBe('1e+06');
    expect(goSprint(new GoFloat(123456))).toBe('123456');
    expect(goSprint(1e-5)).toBe('1e-05');
    expect(goSprint(['a', 1, true])).toBe('[a 1 true]');
    expect(goSprint({ b: 2, a: [1] })).toBe('map[a:[1] b:2]');
    expect(goSprint(null)).toBe('<nil>');
    expect(formatGoFloat(2.5e21)).toBe('2.5e+21');
  });

  it('encodes JSON as encoding/json does for goss: compact, map keys sorted', () => {
    expect(goJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
    expect(goJson(new GoFloat(2))).toBe('2');
  });

  it('quotes values as gomega format.Object does', () => {
    expect(formatObject('foo\nbar')).toBe('    <string>: foo\n    bar');
    expect(formatObject(5)).toBe('    <int>: 5');
    expect(formatObject(null)).toBe('    <nil>: nil');
  });

  it('formats printf verbs, widths, precision and mismatches as fmt.Sprintf', () => {
    expect(
      goSprintf('%s-%d-%05.2f|%-4s|%x|%q|%v|%t|%%', [
        'a',
        7,
        new GoFloat(3.14159),
        'ab',
        255,
        'q"',
        [1, 2],
        true,
      ]),
    ).toBe('a-7-03.14|ab  |ff|"q\\""|[1 2]|true|%');
    expect(goSprintf('%d', ['x'])).toBe('%!d(string=x)');
    expect(goSprintf('%s %s', ['a'])).toBe('a %!s(MISSING)');
    expect(goSprintf('%s', ['a', 1])).toBe('a%!(EXTRA int=1)');
    expect(goSprintf('%v', [new GoFloat(1e6)])).toBe('1e+06');
  });
});

describe("Go's regexp syntax in JavaScript", () => {
  it('translates named groups, leading flags, \\A \\z, POSIX classes, \\Q..\\E and octal escapes', () => {
    expect(goRegexp('(?P<year>\\d{4})').exec('in 2024')?.groups?.year).toBe('2024');
    expect(goRegexp('(?i)abc').test('xABC')).toBe(true);
    expect(goRegexp('(?s)a.b').test('a\nb')).toBe(true);
    expect(goRegexp('a.b').test('a\nb')).toBe(false);
    expect(goRegexp('a.b').test('a\rb')).toBe(true); // Go's . matches \r
    expect(goRegexp('\\Aab\\z').test('ab')).toBe(true);
    expect(goRegexp('\\Aab\\z').test('ab\n')).toBe(false);
    expect(goRegexp('^[[:alpha:]_]+$').test('abc_D')).toBe(true);
    expect(goRegexp('\\Q1.5\\E').test('105')).toBe(false);
    expect(goRegexp('\\101').test('A')).toBe(true);
    expect(goRegexp('\\pL+').test('é')).toBe(true);
    expect(translateGoRegexp('(?m)^x$').flags).toBe('m');
  });

  it('rejects what Go rejects: lookarounds and backreferences', () => {
    expect(() => goRegexp('a(?=b)')).toThrow(GoRegexpError);
    expect(() => goRegexp('(a)\\1')).toThrow(/no backreferences/);
    expect(() => goRegexp('[a')).toThrow(/missing closing ]/);
  });
});
