// An expectation as written in a spec, turned into a matcher as goss's matcherToGomegaMatcher
// does: a string compares as text (the value converted with to-string), a number numerically
// (to-numeric), a boolean exactly, a list means "contains these elements", and a one-key
// mapping names a matcher. Anything else is a MatcherSyntaxError with goss's wording.
import { goSprint, goTypeName, isPlainObject, numberOf } from '../go/go-format.js';
import { ConsistOfMatcher, ContainElementMatcher, ContainElementsMatcher } from './collection-matchers.js';
import { HavePatternsMatcher } from './have-patterns.js';
import { AndMatcher, NotMatcher, OrMatcher, TransformMatcher } from './logic-matchers.js';
import { MatcherSyntaxError, type GossMatcher } from './matcher.js';
import { gjsonTransform, toArrayTransform, toNumericTransform, toStringTransform } from './transforms.js';
import {
  BeNumericallyMatcher,
  EqualMatcher,
  HaveKeyMatcher,
  HaveLenMatcher,
  SemverConstraintMatcher,
  StringMatcher,
} from './value-matchers.js';

/** Every matcher name goss knows, in its documentation's order. */
export const MATCHER_NAMES = [
  'equal',
  'have-prefix',
  'have-suffix',
  'match-regexp',
  'contain-substring',
  'have-len',
  'have-patterns',
  'have-key',
  'contain-element',
  'contain-elements',
  'not',
  'consist-of',
  'and',
  'or',
  'gt',
  'ge',
  'lt',
  'le',
  'semver-constraint',
  'gjson',
] as const;

/** goss's matcher whose XPath engine kolet does not carry. */
const UNSUPPORTED: Record<string, string> = {
  xml: 'the xml matcher (XPath) is not supported by kolet; match the XML text with match-regexp or have-patterns',
};

function quote(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : `%!q(${goTypeName(v)}=${goSprint(v)})`;
}

function badArgument(name: string, expected: string, value: unknown): MatcherSyntaxError {
  return new MatcherSyntaxError(
    `Invalid '${name}' argument. Expected ${expected} value, but received: ${goTypeName(value)}: ${quote(value)}`,
  );
}

/** Compile an expectation; throws MatcherSyntaxError. */
export function compileMatcher(expected: unknown): GossMatcher {
  if (typeof expected === 'string')
    return new TransformMatcher(toStringTransform, new EqualMatcher(expected));
  if (numberOf(expected) !== undefined)
    return new TransformMatcher(toNumericTransform, new BeNumericallyMatcher('eq', expected));
  if (typeof expected === 'boolean') return new EqualMatcher(expected);
  if (Array.isArray(expected)) return new ContainElementsMatcher(expected.map(compileMatcher));
  if (expected === null || expected === undefined)
    throw new MatcherSyntaxError('Missing required attribute'.replace('Syntax Error: ', ''));
  if (!isPlainObject(expected)) throw badArgument('matcher', 'map', expected);
  const keys = Object.keys(expected);
  if (keys.length === 0)
    throw new MatcherSyntaxError('Invalid matcher configuration. An empty mapping names no matcher.');
  if (keys.length > 1)
    throw new MatcherSyntaxError(
      `Invalid matcher configuration. At a given nesting level, only one matcher is allowed. Found multiple matchers: [${keys
        .map((k) => JSON.stringify(k))
        .join(' ')}]`,
    );
  const name = keys[0] as string;
  const value = expected[name];
  const str = (): string => {
    if (typeof value !== 'string') throw badArgument(name, 'string', value);
    return value;
  };
  const list = (): GossMatcher[] => {
    if (!Array.isArray(value)) throw badArgument(name, 'array', value);
    return value.map(compileMatcher);
  };
  switch (name) {
    case 'equal':
      return new EqualMatcher(value);
    case 'have-prefix':
    case 'have-suffix':
    case 'match-regexp':
    case 'contain-substring':
      return new TransformMatcher(toStringTransform, new StringMatcher(name, str()));
    case 'have-len': {
      const n = numberOf(value);
      if (n === undefined) throw badArgument('have-len', 'numeric', value);
      return new HaveLenMatcher(Math.trunc(n));
    }
    case 'have-patterns':
      if (!Array.isArray(value)) throw badArgument('have-patterns', 'array', value);
      return new TransformMatcher(toStringTransform, new HavePatternsMatcher(value));
    case 'have-key':
      return new HaveKeyMatcher(compileMatcher(value));
    case 'contain-element':
      if (!(isPlainObject(value) || typeof value === 'string' || numberOf(value) !== undefined))
        throw badArgument('contain-element', 'matcher, string or numeric', value);
      return new TransformMatcher(toArrayTransform, new ContainElementMatcher(compileMatcher(value)));
    case 'contain-elements':
      if (!Array.isArray(value)) throw badArgument('contains-elements', 'array', value);
      return new TransformMatcher(toArrayTransform, new ContainElementsMatcher(value.map(compileMatcher)));
    case 'not':
      return new NotMatcher(compileMatcher(value));
    case 'consist-of':
      return new ConsistOfMatcher(list());
    case 'and':
      return new AndMatcher(list());
    case 'or':
      return new OrMatcher(list());
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return new TransformMatcher(toNumericTransform, new BeNumericallyMatcher(name, value));
    case 'semver-constraint':
      return new SemverConstraintMatcher(str());
    case 'gjson': {
      if (!isPlainObject(value)) throw badArgument('gjson', 'map', value);
      return new AndMatcher(
        Object.entries(value).map(
          ([path, sub]) => new TransformMatcher(gjsonTransform(path), compileMatcher(sub)),
        ),
      );
    }
    default: {
      const why = UNSUPPORTED[name];
      if (why) throw new MatcherSyntaxError(why);
      throw new MatcherSyntaxError(`Unknown matcher: ${name}`);
    }
  }
}

/** The syntax problem of an expectation (its message), or undefined when it compiles. */
export function matcherProblem(expected: unknown): string | undefined {
  try {
    compileMatcher(expected);
    return undefined;
  } catch (err) {
    if (err instanceof MatcherSyntaxError) return err.message;
    throw err;
  }
}
