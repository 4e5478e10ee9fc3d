// goss's transforms: when the system's value and the expectation differ in type, the value is
// converted first (a string to lines for array matchers, text to a number for numeric ones).
import { GoFloat, formatObject, goSprint, isGoFloat } from '../go/go-format.js';
import { gjsonGet, gjsonValid } from './gjson.js';
import { MatchError, type Transformer } from './matcher.js';

/** `to-string`: lists join with newlines, everything else prints as Go's %v. */
export const toStringTransform: Transformer = {
  transform(v) {
    if (Array.isArray(v)) return v.map((x) => goSprint(x)).join('\n');
    return goSprint(v);
  },
  failedValue: '',
  toJSON: () => ({ 'to-string': {} }),
  goSyntax: () => 'matchers.ToString{}',
};

/** `to-numeric`: numbers stay, text (and lines joined) is parsed as a float, else an error. */
export const toNumericTransform: Transformer = {
  transform(v) {
    if (typeof v === 'number' || v instanceof GoFloat) return v;
    if (typeof v === 'string') return new GoFloat(parseGoFloat(v.trim()));
    if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      return new GoFloat(parseGoFloat(v.join('\n').trim()));
    throw new MatchError(`Expected numeric, Got:${formatObject(v)}`);
  },
  failedValue: 0,
  toJSON: () => ({ 'to-numeric': {} }),
  goSyntax: () => 'matchers.ToNumeric{}',
};

/** `to-array`: a string becomes its lines (split on \n, so a trailing newline gives a last ""). */
export const toArrayTransform: Transformer = {
  transform(v) {
    return typeof v === 'string' ? v.split('\n') : v;
  },
  failedValue: null,
  toJSON: () => ({ 'to-array': {} }),
  goSyntax: () => 'matchers.ToArray{}',
};

/** `gjson`: the value at a gjson path of a JSON text. */
export function gjsonTransform(path: string): Transformer {
  return {
    transform(v) {
      if (typeof v !== 'string') throw new MatchError(`Expected string, Got:${formatObject(v)}`);
      if (!gjsonValid(v)) throw new MatchError('Invalid json');
      const r = gjsonGet(v, path);
      if (!r.exists) throw new MatchError(`Path not found: ${path}`);
      return r.value;
    },
    failedValue: null,
    toJSON: () => ({ gjson: { Path: path } }),
    goSyntax: () => `matchers.Gjson{Path:${JSON.stringify(path)}}`,
  };
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** strconv.ParseFloat(s, 64); throws MatchError with Go's message. */
function parseGoFloat(s: string): number {
  const fail = (): never => {
    throw new MatchError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  };
  const lower = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  if (/^[+-]?0x[0-9a-f_]*\.?[0-9a-f_]*p[+-]?\d+$/.test(lower)) {
    const m = /^([+-]?)0x([0-9a-f_]*)\.?([0-9a-f_]*)p([+-]?\d+)$/.exec(lower);
    if (!m) return fail();
    const int = (m[2] ?? '').replace(/_/g, '');
    const frac = (m[3] ?? '').replace(/_/g, '');
    const mant = parseInt(int + frac || '0', 16) / 16 ** frac.length;
    return (m[1] === '-' ? -1 : 1) * mant * 2 ** Number(m[4]);
  }
  if (!FLOAT.test(s)) return fail();
  const n = Number(s);
  if (Number.isNaN(n)) return fail();
  return n;
}

/** Whether a transformed value differs from the original (goss records only transforms that changed it). */
export function changed(before: unknown, after: unknown): boolean {
  if (after instanceof GoFloat)
    return !(typeof before === 'number' && isGoFloat(before) && before === after.value);
  return !deepEqual(before, after);
}

/** reflect.DeepEqual on decoded values (numbers by value, GoFloat as its number). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a instanceof GoFloat) a = a.value;
  if (b instanceof GoFloat) b = b.value;
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number')
    return Number.isNaN(a) && Number.isNaN(b) ? false : a === b;
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every(
      (k) =>
        Object.hasOwn(b, k) &&
        deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return false;
}
