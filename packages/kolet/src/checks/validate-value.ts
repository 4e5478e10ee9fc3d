// goss's ValidateValue: one attribute of one resource, checked. The system value is read,
// the expectation compiled into a matcher (a text attribute given a list is matched line by
// line, as goss matches its io.Readers), and the outcome reported with goss's matcher result.
// A resource's first attribute gates the rest: when it fails, errs or is `false` (a file
// that does not exist, as expected), the others are skipped — goss's shouldSkip.
import { compileMatcher } from './matchers/compile-matcher.js';
import { HavePatternsMatcher } from './matchers/have-patterns.js';
import { MatchError, MatcherSyntaxError, type GossMatcher, type MatcherResult } from './matchers/matcher.js';
import { CHECKED_ATTRIBUTES } from './spec-schema.js';
import { KIND_TITLES, type CheckKind, type CheckResult } from './types.js';

/** Attributes whose system value is text read line by line (goss's io.Reader attributes). */
const READER_ATTRIBUTES = new Set(['contains', 'contents', 'stdout', 'stderr', 'headers', 'body']);

/** An error of the system side (a file that cannot be read, a command that timed out). */
export class SystemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SystemError';
  }
}

/** What goss warns about an attribute's expectation before running: syntax problems, empty lists. */
export function expectationProblems(
  kind: CheckKind,
  props: Record<string, unknown>,
): { attribute: string; message: string }[] {
  const out: { attribute: string; message: string }[] = [];
  for (const [attribute, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    const reader =
      READER_ATTRIBUTES.has(attribute) ||
      (kind === 'matching' && attribute === 'matches' && props['as-reader'] === true);
    if (!isChecked(kind, attribute)) continue;
    if (reader && Array.isArray(value)) {
      if (value.length === 0)
        out.push({
          attribute,
          message:
            'an empty list asserts nothing and always passes (goss skips it); use "" to assert empty content, or remove it',
        });
      const bad: unknown = value.find((v) => typeof v !== 'string');
      if (bad !== undefined)
        out.push({
          attribute,
          message: `patterns must be strings (quote ${JSON.stringify(bad)}): goss fails this check ("HavePatterns matcher expects patterns to be a string")`,
        });
      continue;
    }
    try {
      compileMatcher(value);
    } catch (err) {
      if (!(err instanceof MatcherSyntaxError)) throw err;
      out.push({ attribute, message: `${err.message} (goss fails this check)` });
    }
  }
  return out;
}

function isChecked(kind: CheckKind, attribute: string): boolean {
  return CHECKED_ATTRIBUTES[kind].includes(attribute);
}

/** goss's isSet: an attribute given (an empty list counts as not given: it asserts nothing). */
export function isSet(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null;
}

const EMPTY_RESULT: MatcherResult = { actual: null, message: '', expected: null };

/** How Go (strerror) words the errors a check meets most. */
const GO_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EINVAL: 'invalid argument',
  ELOOP: 'too many levels of symbolic links',
  ECONNREFUSED: 'connection refused',
};

/** Go's error text of a Node system error: `open /x: permission denied`. */
function systemErrorText(err: unknown): string {
  if (err instanceof SystemError || err instanceof MatchError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.syscall === 'string') {
    const what = GO_ERRNO_TEXT[e.code] ?? /^[A-Z0-9_]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
    return `${e.syscall}${e.path ? ` ${e.path}` : ''}: ${what}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The results of one resource, built attribute by attribute in goss's order. */
export class ResourceRun {
  readonly results: CheckResult[] = [];
  private skipping: boolean;

  constructor(
    readonly kind: CheckKind,
    readonly resourceId: string,
    readonly title: string,
    readonly meta: unknown,
    skip: boolean,
    readonly group: number,
  ) {
    this.skipping = skip;
  }

  /** Check one attribute. `read` gives the system value; `reader` marks a text attribute. */
  async check(
    property: string,
    expected: unknown,
    read: () => unknown,
    opts: { reader?: boolean } = {},
  ): Promise<CheckResult> {
    const t0 = Date.now();
    const h0 = process.hrtime.bigint();
    const r = this.skipping
      ? this.result(property, 'skip', EMPTY_RESULT, undefined)
      : await this.evaluate(property, expected, read, opts.reader === true);
    r.startTime = t0;
    r.durationNs = Number(process.hrtime.bigint() - h0);
    r.endTime = t0 + r.durationNs / 1e6;
    this.results.push(r);
    return r;
  }

  /** A result decided without reading the system (a skip, a run that ran out of time). */
  add(property: string, status: 'fail' | 'skip', err?: string): void {
    const now = Date.now();
    const r = this.result(
      property,
      this.skipping ? 'skip' : status,
      EMPTY_RESULT,
      this.skipping ? undefined : err,
    );
    r.startTime = now;
    r.endTime = now;
    this.results.push(r);
  }

  /** goss's shouldSkip: after the first attribute failed, erred or found `false`, skip the rest. */
  gateOnFirst(): void {
    const first = this.results[0];
    if (!first) return;
    if (first.err !== undefined || first.status !== 'pass' || first.matcherResult.actual === false)
      this.skipping = true;
  }

  private async evaluate(
    property: string,
    expected: unknown,
    read: () => unknown,
    reader: boolean,
  ): Promise<CheckResult> {
    let found: unknown;
    try {
      found = await read();
    } catch (err) {
      if (!(err instanceof SystemError) && !isSystemErrno(err)) throw err;
      return this.result(property, 'fail', EMPTY_RESULT, systemErrorText(err));
    }
    let matcher: GossMatcher;
    try {
      matcher =
        reader && Array.isArray(expected) ? new HavePatternsMatcher(expected) : compileMatcher(expected);
    } catch (err) {
      if (!(err instanceof MatcherSyntaxError)) throw err;
      return this.result(property, 'fail', EMPTY_RESULT, err.message);
    }
    let ok = false;
    let error: string | undefined;
    try {
      ok = matcher.match(found);
    } catch (err) {
      if (!(err instanceof MatchError)) throw err;
      error = err.message;
    }
    if (ok)
      return this.result(
        property,
        'pass',
        { actual: found, message: 'matches expectation', expected },
        undefined,
      );
    return this.result(property, 'fail', jsonReady(matcher.failureResult(found)), error);
  }

  private result(
    property: string,
    status: CheckResult['status'],
    mr: MatcherResult,
    err: string | undefined,
  ): CheckResult {
    return {
      kind: this.kind,
      resourceType: KIND_TITLES[this.kind],
      resourceId: this.resourceId,
      title: this.title,
      meta: this.meta,
      property,
      status,
      ...(err !== undefined ? { err } : {}),
      matcherResult: mr,
      startTime: 0,
      endTime: 0,
      durationNs: 0,
      group: this.group,
    };
  }
}

function isSystemErrno(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    'syscall' in err
  );
}

/** Matchers inside a result become their JSON form, so reports hold plain data. */
function jsonReady(mr: MatcherResult): MatcherResult {
  const plain = (v: unknown): unknown =>
    v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
  const out: MatcherResult = { actual: mr.actual, message: mr.message, expected: plain(mr.expected) };
  if (mr.missingElements !== undefined) out.missingElements = plain(mr.missingElements);
  if (mr.foundElements !== undefined) out.foundElements = plain(mr.foundElements);
  if (mr.extraElements !== undefined) out.extraElements = mr.extraElements;
  if (mr.transformChain && mr.transformChain.length > 0) {
    out.transformChain = mr.transformChain;
    out.untransformedValue = mr.untransformedValue;
  }
  return out;
}
