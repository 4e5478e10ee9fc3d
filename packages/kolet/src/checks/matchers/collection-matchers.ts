// Matchers of lists (and mappings, whose values they iterate): contain-element,
// contain-elements (also a plain list as the expectation) and consist-of. As gomega's, the
// last two pair expected matchers with distinct elements (a maximum bipartite matching), so
// [a, a] needs two elements equal to a.
import { formatObject } from '../go/go-format.js';
import { GossMatcher, MatchError, isCollection, named, valuesOf, type MatcherResult } from './matcher.js';
import { EqualMatcher } from './value-matchers.js';

/** Whether a matcher matches a value, an error counting as no (gomega's neighbours()). */
function matches(m: GossMatcher, v: unknown): boolean {
  try {
    return m.match(v);
  } catch (err) {
    if (err instanceof MatchError) return false;
    throw err;
  }
}

/**
 * A maximum matching between values (left) and matchers (right) by augmenting paths.
 * Returns, per matcher, the index of its value or -1.
 */
function largestMatching(values: unknown[], matchers: GossMatcher[]): number[] {
  const edges = matchers.map((m) => values.map((v) => matches(m, v)));
  const valueOwner = new Array<number>(values.length).fill(-1);
  const matcherValue = new Array<number>(matchers.length).fill(-1);
  const tryAssign = (mi: number, seen: boolean[]): boolean => {
    const row = edges[mi] as boolean[];
    for (let vi = 0; vi < values.length; vi++) {
      if (!row[vi] || seen[vi]) continue;
      seen[vi] = true;
      const owner = valueOwner[vi] as number;
      if (owner < 0 || tryAssign(owner, seen)) {
        valueOwner[vi] = mi;
        matcherValue[mi] = vi;
        return true;
      }
    }
    return false;
  };
  for (let mi = 0; mi < matchers.length; mi++) tryAssign(mi, new Array<boolean>(values.length).fill(false));
  return matcherValue;
}

/** How a matcher is listed among missing elements: an equal matcher as its value. */
function asElement(m: GossMatcher): unknown {
  return m instanceof EqualMatcher ? m.expected : m;
}

/** The missing elements of a failure, and the found ones (those not missing). */
function missingAndFound(
  elements: GossMatcher[],
  missing: unknown[] | undefined,
): Pick<MatcherResult, 'missingElements' | 'foundElements'> {
  if (!missing) return {};
  return { missingElements: missing, foundElements: elements.filter((e) => !missing.includes(asElement(e))) };
}

/** gomega's ContainElement: some element passes the matcher. */
export class ContainElementMatcher extends GossMatcher {
  constructor(readonly element: GossMatcher) {
    super();
  }
  match(actual: unknown): boolean {
    if (!isCollection(actual))
      throw new MatchError(
        `ContainElement matcher expects an array/slice/map/iterator.  Got:\n${formatObject(actual)}`,
      );
    let lastError: MatchError | undefined;
    for (const v of valuesOf(actual)) {
      try {
        if (this.element.match(v)) return true;
      } catch (err) {
        if (!(err instanceof MatchError)) throw err;
        lastError = err;
      }
    }
    if (lastError) throw lastError;
    return false;
  }
  failureResult(actual: unknown): MatcherResult {
    return { actual, message: 'to contain element matching', expected: this.element };
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return { actual, message: 'not to contain element matching', expected: this.element };
  }
  toJSON(): unknown {
    return named('contain-element', this.element);
  }
}

/** gomega's ContainElements: every matcher pairs with its own element (others may be there too). */
export class ContainElementsMatcher extends GossMatcher {
  private missing: unknown[] | undefined;

  constructor(readonly elements: GossMatcher[]) {
    super();
  }
  match(actual: unknown): boolean {
    if (!isCollection(actual))
      throw new MatchError(
        `ContainElements matcher expects an array/slice/map.  Got:\n${formatObject(actual)}`,
      );
    const pairs = largestMatching(valuesOf(actual), this.elements);
    const missing = this.elements.filter((_, i) => (pairs[i] as number) < 0);
    if (missing.length === 0) return true;
    this.missing = missing.map(asElement);
    return false;
  }
  failureResult(actual: unknown): MatcherResult {
    return {
      actual,
      message: 'to contain elements matching',
      expected: this.elements,
      ...missingAndFound(this.elements, this.missing),
    };
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return { actual, message: 'not to contain elements matching', expected: this.elements };
  }
  toJSON(): unknown {
    return named('contain-elements', this.elements);
  }
}

/** gomega's ConsistOf: the elements and the matchers pair up exactly, in any order. */
export class ConsistOfMatcher extends GossMatcher {
  private missing: unknown[] | undefined;
  private extra: unknown[] | undefined;

  constructor(readonly elements: GossMatcher[]) {
    super();
  }
  match(actual: unknown): boolean {
    if (!isCollection(actual))
      throw new MatchError(`ConsistOf matcher expects an array/slice/map.  Got:\n${formatObject(actual)}`);
    const values = valuesOf(actual);
    const pairs = largestMatching(values, this.elements);
    const paired = pairs.filter((p) => p >= 0).length;
    if (paired === values.length && paired === this.elements.length) return true;
    const used = new Set(pairs);
    this.extra = values.filter((_, i) => !used.has(i));
    this.missing = this.elements.filter((_, i) => (pairs[i] as number) < 0).map(asElement);
    return false;
  }
  failureResult(actual: unknown): MatcherResult {
    return {
      actual,
      message: 'to consist of',
      expected: this.elements,
      ...missingAndFound(this.elements, this.missing),
      extraElements: this.extra,
    };
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return { actual, message: 'not to consist of', expected: this.elements };
  }
  toJSON(): unknown {
    return named('consist-of', this.elements);
  }
}
