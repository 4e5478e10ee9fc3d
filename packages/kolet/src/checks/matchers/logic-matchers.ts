// not, and, or, and goss's WithSafeTransform (a transform, then a matcher) — the matchers that
// combine others. Failures report the matcher that decided, and the transforms applied.
import { GossMatcher, MatchError, named, type MatcherResult, type Transformer } from './matcher.js';
import { changed } from './transforms.js';

/** Transform the value, then match; a failure names the transform chain and the raw value. */
export class TransformMatcher extends GossMatcher {
  private transformed: unknown;
  private wasTransformed = false;

  constructor(
    readonly transform: Transformer,
    readonly matcher: GossMatcher,
  ) {
    super();
  }

  match(actual: unknown): boolean {
    try {
      this.transformed = this.transform.transform(actual);
    } catch (err) {
      this.transformed = this.transform.failedValue;
      this.wasTransformed = changed(actual, this.transformed);
      if (err instanceof MatchError) throw new MatchError(`${this.transform.goSyntax()}: ${err.message}`);
      throw err;
    }
    this.wasTransformed = changed(actual, this.transformed);
    return this.matcher.match(this.transformed);
  }

  /** The transforms that changed the value, the innermost matcher, and the value it saw. */
  private chain(): { chain: Transformer[]; inner: GossMatcher; value: unknown } {
    const chain: Transformer[] = [];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk starts at this layer
    let layer: TransformMatcher = this;
    for (;;) {
      if (layer.wasTransformed) chain.push(layer.transform);
      if (!(layer.matcher instanceof TransformMatcher)) break;
      layer = layer.matcher;
    }
    return { chain, inner: layer.matcher, value: layer.transformed };
  }

  failureResult(actual: unknown): MatcherResult {
    const { chain, inner, value } = this.chain();
    return { ...inner.failureResult(value), transformChain: chain, untransformedValue: actual };
  }

  negatedFailureResult(actual: unknown): MatcherResult {
    const { chain, inner, value } = this.chain();
    return { ...inner.negatedFailureResult(value), transformChain: chain, untransformedValue: actual };
  }

  toJSON(): unknown {
    return this.chain().inner.toJSON();
  }
}

export class NotMatcher extends GossMatcher {
  constructor(readonly matcher: GossMatcher) {
    super();
  }
  match(actual: unknown): boolean {
    return !this.matcher.match(actual);
  }
  failureResult(actual: unknown): MatcherResult {
    return this.matcher.negatedFailureResult(actual);
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return this.matcher.failureResult(actual);
  }
  toJSON(): unknown {
    return named('not', this.matcher);
  }
}

export class AndMatcher extends GossMatcher {
  private firstFailed: GossMatcher | undefined;

  constructor(readonly matchers: GossMatcher[]) {
    super();
  }
  match(actual: unknown): boolean {
    this.firstFailed = undefined;
    for (const m of this.matchers) {
      let ok: boolean;
      try {
        ok = m.match(actual);
      } catch (err) {
        this.firstFailed = m;
        throw err;
      }
      if (!ok) {
        this.firstFailed = m;
        return false;
      }
    }
    return true;
  }
  failureResult(actual: unknown): MatcherResult {
    if (!this.firstFailed)
      return { actual, message: 'to satisfy all of these matchers', expected: this.matchers };
    return this.firstFailed.failureResult(actual);
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    return { actual, message: 'not to satisfy all of these matchers', expected: this.matchers };
  }
  toJSON(): unknown {
    return this.matchers.length === 1
      ? (this.matchers[0] as GossMatcher).toJSON()
      : named('and', this.matchers);
  }
}

export class OrMatcher extends GossMatcher {
  private firstPassed: GossMatcher | undefined;

  constructor(readonly matchers: GossMatcher[]) {
    super();
  }
  match(actual: unknown): boolean {
    this.firstPassed = undefined;
    for (const m of this.matchers) {
      if (m.match(actual)) {
        this.firstPassed = m;
        return true;
      }
    }
    return false;
  }
  failureResult(actual: unknown): MatcherResult {
    return { actual, message: 'to satisfy at least one of these matchers', expected: this.matchers };
  }
  negatedFailureResult(actual: unknown): MatcherResult {
    if (this.firstPassed) return this.firstPassed.negatedFailureResult(actual);
    return { actual, message: 'not to satisfy at least one of these matchers', expected: this.matchers };
  }
  toJSON(): unknown {
    return named('or', this.matchers);
  }
}
