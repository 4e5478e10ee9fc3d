// Matchers of single values: equal, the string matchers, have-len, have-key, the numeric
// comparisons and semver-constraint — gomega's semantics as goss uses them.
import { formatObject, numberOf } from '../go/go-format.js';
import { goRegexp } from '../go/go-regexp.js';
import { GossMatcher, MatchError, isMapping, named, type MatcherResult } from './matcher.js';
import { parseSemver, parseSemverRange, type SemVersion } from './semver.js';
import { deepEqual } from './transforms.js';

function result(actual: unknown, message: string, expected: unknown): MatcherResult {
  return { actual, message, expected };
}

/** gomega's Equal (reflect.DeepEqual); in goss's JSON an equal matcher is just its value. */
export class EqualMatcher extends GossMatcher {
  constructor(readonly expected: unknown) {
    super();
  }
  match(actual: unknown): boolean {
    if ((actual === null || actual === undefined) && (this.expected === null || this.expected === undefined))
      throw new MatchError(
        'Refusing to compare <nil> to <nil>.\nBe explicit and use BeNil() instead.  This is to avoid mistakes where both sides of an assertion are erroneously uninitialized.',
      );
    return deepEqual(actual, this.expected);
  }
  failureResult(actual: unknown): MatcherResult {
    return result(actual, 'to equal', this.expected);
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return result(actual, 'not to equal', this.expected);
  }
  toJSON(): unknown {
    return this.expected;
  }
}

type StringOp = 'have-prefix' | 'have-suffix' | 'contain-substring' | 'match-regexp';

const STRING_MESSAGES: Record<StringOp, string> = {
  'have-prefix': 'to have prefix',
  'have-suffix': 'to have suffix',
  'contain-substring': 'to contain substring',
  'match-regexp': 'to match regular expression',
};

/** have-prefix, have-suffix, contain-substring and match-regexp (after goss's to-string). */
export class StringMatcher extends GossMatcher {
  constructor(
    readonly op: StringOp,
    readonly arg: string,
  ) {
    super();
  }
  match(actual: unknown): boolean {
    if (typeof actual !== 'string')
      throw new MatchError(
        `${this.goName()} matcher requires a string or stringer.  Got:\n${formatObject(actual)}`,
      );
    switch (this.op) {
      case 'have-prefix':
        return actual.startsWith(this.arg);
      case 'have-suffix':
        return actual.endsWith(this.arg);
      case 'contain-substring':
        return actual.includes(this.arg);
      case 'match-regexp':
        try {
          return goRegexp(this.arg).test(actual);
        } catch (err) {
          throw new MatchError(`RegExp match failed to compile with error:\n\t${(err as Error).message}`);
        }
    }
  }
  private goName(): string {
    return {
      'have-prefix': 'HavePrefix',
      'have-suffix': 'HaveSuffix',
      'contain-substring': 'ContainSubstring',
      'match-regexp': 'RegExp',
    }[this.op];
  }
  failureResult(actual: unknown): MatcherResult {
    return result(actual, STRING_MESSAGES[this.op], this.arg);
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return result(actual, STRING_MESSAGES[this.op].replace(/^to /, 'not to '), this.arg);
  }
  toJSON(): unknown {
    return named(this.op, this.arg);
  }
}

/** gomega's HaveLen: the length of a string (bytes, as Go counts), list or mapping. */
export class HaveLenMatcher extends GossMatcher {
  constructor(readonly count: number) {
    super();
  }
  match(actual: unknown): boolean {
    let len: number;
    if (typeof actual === 'string') len = Buffer.byteLength(actual);
    else if (Array.isArray(actual)) len = actual.length;
    else if (isMapping(actual)) len = Object.keys(actual).length;
    else
      throw new MatchError(
        `HaveLen matcher expects a string/array/map/channel/slice/iterator.  Got:\n${formatObject(actual)}`,
      );
    return len === this.count;
  }
  failureResult(actual: unknown): MatcherResult {
    return result(actual, 'to have length', this.count);
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return result(actual, 'not to have length', this.count);
  }
  toJSON(): unknown {
    return named('have-len', this.count);
  }
}

/** gomega's HaveKey: some key of a mapping passes the key matcher. */
export class HaveKeyMatcher extends GossMatcher {
  constructor(readonly key: GossMatcher) {
    super();
  }
  match(actual: unknown): boolean {
    if (!isMapping(actual))
      throw new MatchError(`HaveKey matcher expects a map.  Got:${formatObject(actual)}`);
    for (const k of Object.keys(actual)) if (this.key.match(k)) return true;
    return false;
  }
  failureResult(actual: unknown): MatcherResult {
    return result(actual, 'to have key matching', this.key.toJSON());
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return result(actual, 'not to have key matching', this.key.toJSON());
  }
  toJSON(): unknown {
    return named('have-key', this.key);
  }
}

export type Comparator = 'gt' | 'ge' | 'lt' | 'le' | 'eq';

/** gomega's BeNumerically with goss's comparator names (gt ge lt le; eq for a plain number). */
export class BeNumericallyMatcher extends GossMatcher {
  constructor(
    readonly comparator: Comparator,
    readonly compareTo: unknown,
  ) {
    super();
  }
  match(actual: unknown): boolean {
    const a = numberOf(actual);
    if (a === undefined || typeof actual === 'boolean')
      throw new MatchError(`Expected a number.  Got:\n${formatObject(actual)}`);
    const b = numberOf(this.compareTo);
    if (b === undefined) throw new MatchError(`Expected a number.  Got:\n${formatObject(this.compareTo)}`);
    switch (this.comparator) {
      case 'gt':
        return a > b;
      case 'ge':
        return a >= b;
      case 'lt':
        return a < b;
      case 'le':
        return a <= b;
      case 'eq':
        return a === b;
    }
  }
  failureResult(actual: unknown): MatcherResult {
    return result(actual, `to be numerically ${this.comparator}`, this.compareTo);
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return result(actual, `not to be numerically ${this.comparator}`, this.compareTo);
  }
  toJSON(): unknown {
    return named(this.comparator, this.compareTo);
  }
}

/** goss's semver-constraint: every version (one, or a list) satisfies a blang/semver range. */
export class SemverConstraintMatcher extends GossMatcher {
  constructor(readonly constraint: unknown) {
    super();
  }
  match(actual: unknown): boolean {
    const range = typeof this.constraint === 'string' ? parseSemverRange(this.constraint) : undefined;
    if (!range)
      throw new MatchError(`Expected a valid semver constraint.  Got:\n${formatObject(this.constraint)}`);
    const versions = toVersions(actual);
    if (!versions)
      throw new MatchError(
        `Expected a single or list of semver valid version(s).  Got:\n${formatObject(actual)}`,
      );
    return versions.every(range);
  }
  failureResult(actual: unknown): MatcherResult {
    return result(actual, 'to satisfy semver constraint', this.constraint);
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return result(actual, 'not to satisfy semver constraint', this.constraint);
  }
  toJSON(): unknown {
    return named('semver-constraint', this.constraint);
  }
}

function toVersions(v: unknown): SemVersion[] | undefined {
  if (typeof v === 'string') {
    const one = parseSemver(v);
    return one ? [one] : undefined;
  }
  if (!Array.isArray(v)) return undefined;
  const out: SemVersion[] = [];
  for (const x of v) {
    const p = typeof x === 'string' ? parseSemver(x) : undefined;
    if (!p) return undefined;
    out.push(p);
  }
  return out.length > 0 ? out : undefined;
}
