// text/template's predefined functions: and or not len index slice print printf println eq
// ne lt le gt ge html js urlquery (call needs Go function values, which specs do not have).
import { goSprintAll, goSprintf, goSprintln } from '../go/go-printf.js';
import { numberOf } from '../go/go-format.js';
import { FuncError, fixed, variadic, type TemplateFunc } from './func-types.js';
import { ComparisonError, goEqual, goLess, isMapValue, isTrue, mapGet, typeName } from './values.js';

const compare =
  (test: (a: unknown, b: unknown) => boolean) =>
  ([a, b]: unknown[]): boolean => {
    try {
      return test(a, b);
    } catch (err) {
      if (err instanceof ComparisonError) throw new FuncError(err.message);
      throw err;
    }
  };

/** Go's index: maps by key (a missing key gives nothing), lists and strings by position. */
function goIndex(item: unknown, keys: unknown[]): unknown {
  let cur = item;
  for (const key of keys) {
    if (cur === null || cur === undefined) throw new FuncError('index of untyped nil');
    if (Array.isArray(cur) || typeof cur === 'string') {
      const n = numberOf(key);
      if (n === undefined || !Number.isInteger(n))
        throw new FuncError(`cannot index slice/array with type ${typeName(key)}`);
      const len = typeof cur === 'string' ? Buffer.byteLength(cur) : cur.length;
      if (n < 0 || n >= len) throw new FuncError(`index out of range: ${n}`);
      cur = typeof cur === 'string' ? Buffer.from(cur)[n] : cur[n];
    } else if (isMapValue(cur)) {
      if (typeof key !== 'string') throw new FuncError(`value has type ${typeName(key)}; should be string`);
      const got = mapGet(cur, key);
      // A missing key gives the map's zero value: "" for Env's strings, nothing otherwise.
      cur = got.found ? got.value : cur instanceof Map ? '' : null;
    } else {
      throw new FuncError(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

function goLen(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (isMapValue(v)) return Object.keys(v).length;
  throw new FuncError(`len of ${v === null || v === undefined ? 'nil pointer' : `type ${typeName(v)}`}`);
}

function goSlice(item: unknown, idx: unknown[]): unknown {
  if (item === null || item === undefined) throw new FuncError('slice of untyped nil');
  if (idx.length > 3) throw new FuncError(`too many slice indexes: ${idx.length}`);
  if (!Array.isArray(item) && typeof item !== 'string')
    throw new FuncError(`can't slice item of type ${typeName(item)}`);
  const len = item.length;
  const ns = idx.map((i) => {
    const n = numberOf(i);
    if (n === undefined || !Number.isInteger(n))
      throw new FuncError(`cannot index slice/array with type ${typeName(i)}`);
    if (n < 0 || n > len) throw new FuncError(`index out of range: ${n}`);
    return n;
  });
  const [lo = 0, hi = len] = ns;
  if (lo > hi) throw new FuncError(`invalid slice index: ${lo} > ${hi}`);
  return item.slice(lo, hi);
}

function htmlEscape(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) =>
    c === '&'
      ? '&amp;'
      : c === "'"
        ? '&#39;'
        : c === '<'
          ? '&lt;'
          : c === '>'
            ? '&gt;'
            : c === '"'
              ? '&#34;'
              : '\uFFFD',
  );
}

function jsEscape(s: string): string {
  // eslint-disable-next-line no-control-regex -- Go's JSEscape escapes the control characters
  return s.replace(/[\\'"<>&=\n\r\t\0-\x1f]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '"':
        return '\\"';
      case '<':
        return '\\u003C';
      case '>':
        return '\\u003E';
      case '&':
        return '\\u0026';
      case '=':
        return '\\u003D';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    }
  });
}

/**
 * and / or: arguments evaluated one at a time, the first that decides (false for and, true
 * for or) is the result, else the last (Go 1.18's short-circuit).
 */
function shortCircuit(stopOn: boolean): TemplateFunc {
  return {
    params: ['value'],
    variadic: 'value',
    lazy: true,
    fn: (thunks) => {
      let v: unknown;
      for (const t of thunks as (() => unknown)[]) {
        v = t();
        if (isTrue(v) === stopOn) return v;
      }
      return v;
    },
  };
}

/** Go's predefined template functions. */
export const GO_FUNCS: Record<string, TemplateFunc> = {
  and: shortCircuit(false),
  or: shortCircuit(true),
  not: fixed(['value'], ([v]) => !isTrue(v)),
  len: fixed(['value'], ([v]) => goLen(v)),
  index: variadic(['value'], 'value', ([item, ...keys]) => goIndex(item, keys)),
  slice: variadic(['value'], 'value', ([item, ...idx]) => goSlice(item, idx)),
  print: variadic([], 'any', (args) => goSprintAll(args)),
  printf: variadic(['string'], 'any', ([f, ...args]) => goSprintf(f as string, args)),
  println: variadic([], 'any', (args) => goSprintln(args)),
  eq: variadic(['value'], 'value', ([a, ...bs]) => {
    if (bs.length === 0) throw new FuncError('missing argument for comparison');
    return bs.some((b) => compare(goEqual)([a, b]));
  }),
  ne: fixed(['value', 'value'], (args) => !compare(goEqual)(args)),
  lt: fixed(['value', 'value'], compare(goLess)),
  le: fixed(
    ['value', 'value'],
    compare((a, b) => goLess(a, b) || goEqual(a, b)),
  ),
  gt: fixed(
    ['value', 'value'],
    compare((a, b) => !goLess(a, b) && !goEqual(a, b)),
  ),
  ge: fixed(
    ['value', 'value'],
    compare((a, b) => !goLess(a, b)),
  ),
  html: variadic([], 'any', (args) => htmlEscape(goSprintAll(args))),
  js: variadic([], 'any', (args) => jsEscape(goSprintAll(args))),
  urlquery: variadic([], 'any', (args) => encodeURIComponent(goSprintAll(args)).replace(/%20/g, '+')),
  call: variadic(['value'], 'value', () => {
    throw new FuncError('call: a spec template has no function values to call');
  }),
};
