// Go values as templates see them, and the rules text/template applies to them: truth (if,
// with, and, or, not), comparison (eq, ne, lt, ...), printing (`<no value>` for nothing) and
// the type names Go's messages use. Values are decoded YAML/JSON data: string, number (an
// int; GoFloat for a float64), boolean, null (nil), arrays ([]interface {}), plain objects
// (map[string]interface {}), plus the Env map (a Map: map[string]string) and the data itself.
import { GoFloat, goSprint, goTypeName, isGoFloat, isPlainObject, numberOf } from '../go/go-format.js';

/** goss's template data (TmplVars): the field .Vars and the method .Env. */
export class TemplateRoot {
  constructor(
    readonly vars: Record<string, unknown>,
    readonly env: Map<string, string>,
  ) {}
}

/** A Go kind, as text/template's basicKind groups values for comparison. */
type Kind = 'bool' | 'int' | 'float' | 'string' | 'invalid' | 'other';

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'invalid';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || v instanceof GoFloat) return isGoFloat(v) ? 'float' : 'int';
  return 'other';
}

/** Go's type name of a template value, as its error messages spell it. */
export function typeName(v: unknown): string {
  if (v instanceof TemplateRoot) return '*goss.TmplVars';
  if (v instanceof Map) return 'map[string]string';
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  return goTypeName(v);
}

export function isMapValue(v: unknown): v is Record<string, unknown> | Map<string, string> {
  return v instanceof Map || (isPlainObject(v) && !(v instanceof TemplateRoot));
}

/** The keys of a map value, sorted as Go's range and fmt sort them. */
export function mapKeys(v: Record<string, unknown> | Map<string, string>): string[] {
  return (v instanceof Map ? [...v.keys()] : Object.keys(v)).sort();
}

export function mapGet(
  v: Record<string, unknown> | Map<string, string>,
  k: string,
): { found: boolean; value: unknown } {
  if (v instanceof Map)
    return v.has(k) ? { found: true, value: v.get(k) } : { found: false, value: undefined };
  return Object.hasOwn(v, k) ? { found: true, value: v[k] } : { found: false, value: undefined };
}

/** Go's truth: false, 0, "", nil, empty lists and maps are false. */
export function isTrue(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  const n = numberOf(v);
  if (n !== undefined) return n !== 0;
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

export class ComparisonError extends Error {}

/** text/template's eq for two values: same basic kinds compare; nil equals only nil. */
export function goEqual(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) {
    if (ka === 'invalid' || kb === 'invalid') return false;
    throw new ComparisonError('incompatible types for comparison');
  }
  if (ka === 'other') {
    if (Array.isArray(a) || Array.isArray(b) || isMapValue(a) || isMapValue(b))
      throw new ComparisonError(`non-comparable type ${goSprint(a)}: ${typeName(a)}`);
    return a === b;
  }
  if (ka === 'invalid') return true;
  if (ka === 'int' || ka === 'float') return numberOf(a) === numberOf(b);
  return a === b;
}

/** text/template's lt: ints, floats and strings order; anything else is an error. */
export function goLess(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (
    ka === 'other' ||
    ka === 'invalid' ||
    ka === 'bool' ||
    kb === 'other' ||
    kb === 'invalid' ||
    kb === 'bool'
  )
    throw new ComparisonError('invalid type for comparison');
  if (ka !== kb) throw new ComparisonError('incompatible types for comparison');
  if (ka === 'string') return (a as string) < (b as string);
  return (numberOf(a) as number) < (numberOf(b) as number);
}

/** What `{{ value }}` prints: fmt's %v, `<no value>` for nothing. */
export function printValue(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (v instanceof Map) return goSprint(Object.fromEntries(v));
  if (v instanceof TemplateRoot) return `&{map[${goSprint(v.vars).slice(4, -1)}]}`;
  return goSprint(v);
}

/** A value as Sprig's functions see their interface{} arguments (Env as a plain map). */
export function plain(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}
