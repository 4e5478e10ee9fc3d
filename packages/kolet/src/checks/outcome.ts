import { unmetPatterns, type Pattern } from './matchers.js';
import type { CheckStatus } from './types.js';

/** The result of one property before the engine adds resource and timing data. */
export interface Outcome {
  property: string;
  status: CheckStatus;
  expected: unknown;
  found: unknown;
  message: string;
}

/** How a value is shown in messages. */
export function show(v: unknown): string {
  if (v === undefined) return '(nothing)';
  if (v === null) return '(none)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return JSON.stringify(v) ?? typeof v;
}

function judged(
  property: string,
  ok: boolean,
  expected: unknown,
  found: unknown,
  failMessage?: string,
): Outcome {
  return {
    property,
    status: ok ? 'pass' : 'fail',
    expected,
    found,
    message: ok
      ? `matches expectation: ${show(expected)}`
      : (failMessage ?? `doesn't match, expect: ${show(expected)} found: ${show(found)}`),
  };
}

/** Pass when found equals expected. */
export function expectEqual(property: string, expected: unknown, found: unknown): Outcome {
  return judged(property, expected === found, expected, found);
}

/** Pass when the two lists hold the same items in any order (goss's consist-of). */
export function expectSameSet(
  property: string,
  expected: readonly string[],
  found: readonly string[],
): Outcome {
  const a = [...new Set(expected)].sort();
  const b = [...new Set(found)].sort();
  return judged(property, a.length === b.length && a.every((x, i) => x === b[i]), [...expected], [...b]);
}

/** Pass when every expected item is among the found ones. */
export function expectContainsAll(
  property: string,
  expected: readonly string[],
  found: readonly string[],
): Outcome {
  const missing = expected.filter((e) => !found.includes(e));
  return judged(
    property,
    missing.length === 0,
    [...expected],
    [...found],
    `doesn't match, missing: ${show(missing)} found: ${show([...found])}`,
  );
}

/** Pass when the text satisfies every pattern. */
export function expectPatterns(property: string, patterns: readonly Pattern[], content: string): Outcome {
  const unmet = unmetPatterns(content, patterns);
  const expected = patterns.map((p) => p.source);
  const found = unmet.length === 0 ? expected : expected.filter((s) => !unmet.some((u) => u.source === s));
  return judged(
    property,
    unmet.length === 0,
    expected,
    found,
    `patterns not found: ${show(unmet.map((p) => p.source))}`,
  );
}

/** A property reported skipped, with why. */
export function skipped(property: string, expected: unknown, reason: string): Outcome {
  return { property, status: 'skip', expected, found: null, message: `skipped: ${reason}` };
}

/** A property that could not be checked: a failure with the reason. */
export function failed(property: string, expected: unknown, found: unknown, message: string): Outcome {
  return { property, status: 'fail', expected, found, message };
}

/**
 * Goss's rule for resources that have `exists`: check `exists` first; when it does not match,
 * the other properties are skipped. When the resource is missing and `exists` was not asked,
 * the other properties fail saying so.
 */
export function gateOnExists(
  props: { exists?: boolean },
  exists: boolean,
  what: string,
  rest: () => Outcome[] | Promise<Outcome[]>,
  restExpected: Record<string, unknown>,
): Promise<Outcome[]> {
  return (async () => {
    const out: Outcome[] = [];
    if (props.exists !== undefined) out.push(expectEqual('exists', props.exists, exists));
    const others = Object.entries(restExpected).filter(([, v]) => v !== undefined);
    if (props.exists !== undefined && props.exists !== exists) {
      for (const [k, v] of others) out.push(skipped(k, v, 'exists did not match'));
      return out;
    }
    if (!exists) {
      for (const [k, v] of others)
        out.push(failed(k, v, null, `doesn't match, expect: ${show(v)} found: (${what} does not exist)`));
      return out;
    }
    out.push(...(await rest()));
    return out;
  })();
}
