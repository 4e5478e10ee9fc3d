// The matcher contract, as goss builds its matchers on gomega's: match a value (or fail with
// an error, which is a failed check that says why), and describe a failure the way goss
// reports it (message, expected, missing/extra elements, the transforms applied).

/** A transform goss applies to a system value before a matcher sees it (`to-string`, ...). */
export interface Transformer {
  /** the transformed value; throws MatchError when the value cannot be transformed */
  transform(value: unknown): unknown;
  /** what `transform(value)` gives when it fails (Go's zero value of the transform's result) */
  readonly failedValue: unknown;
  /** goss's JSON form, e.g. {"to-numeric": {}} */
  toJSON(): unknown;
  /** Go's %#v of the transform, as goss's error messages start with it */
  goSyntax(): string;
}

/** What goss reports about a matched value (its `matcher-result`). */
export interface MatcherResult {
  actual: unknown;
  message: string;
  expected: unknown;
  missingElements?: unknown;
  foundElements?: unknown;
  extraElements?: unknown;
  transformChain?: Transformer[];
  untransformedValue?: unknown;
}

/** A matcher that cannot decide: a failed check whose report is the error (goss's `err`). */
export class MatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatchError';
  }
}

/** An expectation goss cannot turn into a matcher (`Syntax Error: ...`). */
export class MatcherSyntaxError extends Error {
  constructor(message: string) {
    super(`Syntax Error: ${message}`);
    this.name = 'MatcherSyntaxError';
  }
}

/**
 * One matcher of goss's language. Matchers keep state from the last `match` (which elements
 * were missing, which transform ran), so compile a fresh one for each check.
 */
export abstract class GossMatcher {
  /** whether the value matches; throws MatchError when it cannot tell (wrong type, bad regex) */
  abstract match(actual: unknown): boolean;
  abstract failureResult(actual: unknown): MatcherResult;
  abstract negatedFailureResult(actual: unknown): MatcherResult;
  /** the matcher as goss prints it in expectations (`{"have-prefix": "x"}`, a plain value for equal) */
  abstract toJSON(): unknown;
}

/** A matcher keyed by its name in goss's JSON form, e.g. {"have-len": 3}. */
export function named(name: string, value: unknown): Record<string, unknown> {
  return { [name]: value };
}

/** Arrays (Go slices) and mappings (Go maps) are the collections matchers iterate. */
export function isCollection(v: unknown): v is unknown[] | Record<string, unknown> {
  return Array.isArray(v) || isMapping(v);
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

/** The elements of a collection: an array's items, a mapping's values (as gomega iterates them). */
export function valuesOf(v: unknown[] | Record<string, unknown>): unknown[] {
  return Array.isArray(v) ? v : Object.values(v);
}
