// How Go's fmt prints values, for the places where goss's output depends on it: matchers
// convert values to strings with `fmt.Sprintf("%v", v)`, templates print with the same rules,
// and error messages quote values the way gomega's format.Object does.
//
// Values follow the shapes a YAML or JSON document decodes to: string, number, boolean,
// null, arrays and plain objects. JavaScript has one number type; a whole number prints as
// Go prints an int, any other as Go prints a float64. GoFloat marks a whole number that Go
// holds as a float64 (a number from a JSON vars file), so it prints the way Go prints it.

/** A float64 in Go's sense, for values whose int-or-float kind matters (JSON numbers). */
export class GoFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

const NIL = Symbol('nil slice');

/**
 * A Go slice that is nil: empty for every matcher (gomega sees a slice of length 0), but
 * `null` in JSON, as encoding/json prints a nil slice (goss's port ip, interface addrs, ...).
 */
export function nilSlice(): unknown[] {
  return Object.assign([], { [NIL]: true });
}

function isNilSlice(v: unknown): boolean {
  return Array.isArray(v) && (v as unknown as Record<symbol, unknown>)[NIL] === true;
}

/** The plain number of a number or GoFloat, else undefined. */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof GoFloat) return v.value;
  return undefined;
}

/** Whether Go would hold this value as a float64 (not an int). */
export function isGoFloat(v: unknown): boolean {
  return v instanceof GoFloat || (typeof v === 'number' && !Number.isInteger(v));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoFloat);
}

/** strconv.FormatFloat(f, 'g', -1, 64) with fmt's %v rule: exponent form below 1e-4 and from 1e21. */
export function formatGoFloat(x: number, eThreshold = 21): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant = '0', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= eThreshold) {
    const sign = exp < 0 ? '-' : '+';
    const digits = String(Math.abs(exp)).padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  // Plain decimal notation with the shortest digits.
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= 0) {
    const intLen = exp + 1;
    out =
      digits.length <= intLen
        ? digits + '0'.repeat(intLen - digits.length)
        : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${out}` : out;
}

/**
 * `fmt.Sprintf("%v", v)`: strings as they are, `<nil>`, `[a b]` for lists, `map[k:v]` for
 * mappings (sorted keys), floats in %g form (fmt uses %g's precision-6 rule: 1e+06).
 */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof GoFloat) return formatGoFloat(v.value, 6);
  if (typeof v === 'number') return Number.isInteger(v) ? goIntString(v) : formatGoFloat(v, 6);
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  if (isPlainObject(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goSprint(v[k])}`)
      .join(' ')}]`;
  return typeof v === 'symbol' || typeof v === 'function' ? String(v) : JSON.stringify(v);
}

function goIntString(v: number): string {
  // Whole numbers beyond 2^53 still print without an exponent, as an int64 would.
  return Math.abs(v) < 1e21 ? v.toFixed(0) : BigInt(v).toString();
}

/** Go's name for the type a decoded value has (`string`, `int`, `float64`, `[]interface {}`, ...). */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || v instanceof GoFloat) return isGoFloat(v) ? 'float64' : 'int';
  if (Array.isArray(v))
    return v.every((x) => typeof x === 'string') && v.length > 0 ? '[]string' : '[]interface {}';
  if (isPlainObject(v)) return 'map[string]interface {}';
  return typeof v;
}

/** gomega's format.Object: `    <type>: value`, a string as it is (its later lines indented). */
export function formatObject(v: unknown, indent = 1): string {
  const pad = '    '.repeat(indent);
  const type = goTypeName(v);
  if (typeof v === 'string') return `${pad}<${type}>: ${v.split('\n').join(`\n${pad}`)}`;
  if (v === null || v === undefined) return `${pad}<nil>: nil`;
  if (Array.isArray(v)) return `${pad}<${type} | len:${v.length}, cap:${v.length}>: ${goJson(v)}`;
  if (isPlainObject(v)) return `${pad}<${type} | len:${Object.keys(v).length}>: ${goJson(v)}`;
  return `${pad}<${type}>: ${goSprint(v)}`;
}

/**
 * encoding/json with SetEscapeHTML(false), the way goss prints expected and actual values:
 * compact, and mapping keys sorted as Go sorts a map's keys. Objects in `structs` are Go
 * structs: their keys keep the order they were written in.
 */
export function goJson(v: unknown, indent?: string, structs?: WeakSet<object>): string {
  const replacer = (_key: string, value: unknown): unknown => {
    if (value instanceof GoFloat) return value.value;
    if (isNilSlice(value)) return null;
    if (value instanceof Map) return sortKeys(Object.fromEntries(value as Map<string, unknown>));
    if (
      isPlainObject(value) &&
      !structs?.has(value) &&
      typeof (value as { toJSON?: unknown }).toJSON !== 'function'
    )
      return sortKeys(value);
    return value;
  };
  const s = JSON.stringify(v === undefined ? null : v, replacer, indent);
  return s ?? 'null';
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}
