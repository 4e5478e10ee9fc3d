// The Sprig functions (github.com/Masterminds/sprig/v3, TxtFuncMap) goss adds to templates:
// strings, lists, dicts, defaults, conversions, math, regular expressions, encodings, paths
// and semver comparison. Signatures follow Sprig's Go ones, so a call with the wrong type
// fails as it does for goss. Sprig's random, crypto and date functions are left out.
import { createHash } from 'node:crypto';
import { basename, extname, isAbsolute, normalize, posix } from 'node:path';
import { GoFloat, goSprint, isPlainObject, numberOf } from '../go/go-format.js';
import { goRegexp } from '../go/go-regexp.js';
import { goSprintf } from '../go/go-printf.js';
import { compareSemver, parseSemver } from '../matchers/semver.js';
import { FuncError, fixed, variadic, type TemplateFunc } from './func-types.js';
import { isTrue, plain, typeName } from './values.js';

/** Sprig's strval: a string as it is, anything else as fmt's %v. */
function strval(v: unknown): string {
  if (typeof v === 'string') return v;
  return goSprint(plain(v));
}

/** cast.ToInt64 as Sprig uses it: numbers truncated, text parsed (0 when it is no number). */
function toInt(v: unknown): number {
  const n = numberOf(v);
  if (n !== undefined) return Math.trunc(n);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim().replace(/\.0*$/, '');
    if (/^[+-]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$/.test(s)) {
      const neg = s.startsWith('-');
      const body = s.replace(/^[+-]/, '');
      const val = /^0[xX]/.test(body)
        ? parseInt(body.slice(2), 16)
        : /^0[bB]/.test(body)
          ? parseInt(body.slice(2), 2)
          : /^0[oO]?[0-7]+$/.test(body) && body.length > 1
            ? parseInt(body.replace(/^0[oO]?/, ''), 8)
            : Number(body);
      return neg ? -val : val;
    }
  }
  return 0;
}

/** cast.ToFloat64. */
function toFloat(v: unknown): number {
  const n = numberOf(v);
  if (n !== undefined) return n;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const f = Number(v.trim());
    return v.trim() !== '' && Number.isFinite(f) ? f : 0;
  }
  return 0;
}

function list(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw new FuncError(`Cannot ${fn} on type ${typeName(v)}`);
}

function dictOf(v: unknown): Record<string, unknown> {
  if (v instanceof Map) return Object.fromEntries(v as Map<string, unknown>);
  if (isPlainObject(v)) return v;
  throw new FuncError(`wrong type for value; expected map[string]interface {}; got ${typeName(v)}`);
}

/** Sprig's empty: nil, false, 0, "", and empty lists and maps. */
function isEmpty(v: unknown): boolean {
  return !isTrue(v);
}

function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

function regexOf(re: string): RegExp {
  try {
    return goRegexp(re);
  } catch (err) {
    throw new FuncError((err as Error).message);
  }
}

function globalRegex(re: string): RegExp {
  const r = regexOf(re);
  return new RegExp(r.source, `${r.flags}g`);
}

/** Go's regexp ReplaceAllString: $1, ${1}, $name and ${name} expand; $$ is a dollar. */
function expandReplacement(repl: string, m: RegExpExecArray): string {
  return repl.replace(
    /\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g,
    (_all, tok: string, braced?: string, bare?: string) => {
      if (tok === '$') return '$';
      const name = braced ?? bare ?? '';
      if (/^\d+$/.test(name)) return m[Number(name)] ?? '';
      return m.groups?.[name] ?? '';
    },
  );
}

function wrapText(width: number, s: string, sep = '\n'): string {
  const out: string[] = [];
  for (const para of s.split('\n')) {
    let line = '';
    for (const w of para.split(' ')) {
      if (line === '') line = w;
      else if (line.length + 1 + w.length <= width) line += ` ${w}`;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out.join(sep);
}

/** Masterminds/semver constraints as semverCompare takes them: comparisons, ^ ~ x ranges, hyphens, || and commas. */
function semverSatisfies(constraint: string, version: string): boolean {
  const v = parseSemver(version.replace(/^v/, '')) ?? coerce(version);
  if (!v) throw new FuncError(`Invalid Semantic Version`);
  return constraint.split('||').some((group) => {
    const g = group.trim().replace(/\s*-\s+/g, ' - ');
    const hyphen = /^(\S+) - (\S+)$/.exec(g);
    const parts = hyphen ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : g.split(/[\s,]+/).filter(Boolean);
    return parts.every((p) => satisfiesOne(p, v));
  });
}

function coerce(text: string): ReturnType<typeof parseSemver> {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
  if (!m) return undefined;
  return parseSemver(`${Number(m[1])}.${Number(m[2] ?? 0)}.${Number(m[3] ?? 0)}${m[4] ? `-${m[4]}` : ''}`);
}

function satisfiesOne(part: string, v: NonNullable<ReturnType<typeof parseSemver>>): boolean {
  const m =
    /^(\^|~>?|>=|<=|!=|=>|=<|>|<|=)?\s*v?([0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z.-]+)?)$/.exec(
      part,
    );
  if (!m) throw new FuncError(`improper constraint: ${part}`);
  const op = m[1] ?? '=';
  const pieces = (m[2] ?? '').split('-')[0]?.split('.') ?? [];
  const wild = (p: string | undefined): boolean => p === undefined || /^[xX*]$/.test(p);
  const nums = [0, 1, 2].map((i) => (wild(pieces[i]) ? 0 : Number(pieces[i])));
  const c = coerce(
    `${nums.join('.')}${(m[2] ?? '').includes('-') ? `-${(m[2] ?? '').split('-').slice(1).join('-')}` : ''}`,
  );
  if (!c) throw new FuncError(`improper constraint: ${part}`);
  const cmp = compareSemver(v, c);
  const wildAt = [0, 1, 2].findIndex((i) => wild(pieces[i]));
  const upper = (level: number): NonNullable<ReturnType<typeof parseSemver>> => {
    const n = [...nums];
    n[level] = (n[level] ?? 0) + 1;
    for (let i = level + 1; i < 3; i++) n[i] = 0;
    return { major: n[0] ?? 0, minor: n[1] ?? 0, patch: n[2] ?? 0, pre: [] };
  };
  switch (op) {
    case '^': {
      const level = nums[0] !== 0 || wildAt === 1 ? 0 : nums[1] !== 0 || wildAt === 2 ? 1 : 2;
      return cmp >= 0 && compareSemver(v, upper(level)) < 0;
    }
    case '~':
    case '~>':
      return cmp >= 0 && compareSemver(v, upper(wildAt === 1 ? 0 : 1)) < 0;
    case '>':
      return wildAt >= 0 ? compareSemver(v, upper(Math.max(0, wildAt - 1))) >= 0 : cmp > 0;
    case '>=':
    case '=>':
      return cmp >= 0;
    case '<':
      return cmp < 0;
    case '<=':
    case '=<':
      return wildAt >= 0 ? compareSemver(v, upper(Math.max(0, wildAt - 1))) < 0 : cmp <= 0;
    case '!=':
      return wildAt >= 0 ? !(cmp >= 0 && compareSemver(v, upper(Math.max(0, wildAt - 1))) < 0) : cmp !== 0;
    default:
      return wildAt >= 0 ? cmp >= 0 && compareSemver(v, upper(Math.max(0, wildAt - 1))) < 0 : cmp === 0;
  }
}

const num = (v: unknown): number => toInt(v);

export const SPRIG_FUNCS: Record<string, TemplateFunc> = {
  // ---- strings
  upper: fixed(['string'], ([s]) => (s as string).toUpperCase()),
  lower: fixed(['string'], ([s]) => (s as string).toLowerCase()),
  title: fixed(['string'], ([s]) =>
    (s as string).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  ),
  untitle: fixed(['string'], ([s]) =>
    (s as string).replace(/(^|\s)(\p{L})/gu, (_m, a: string, b: string) => a + b.toLowerCase()),
  ),
  trim: fixed(['string'], ([s]) => (s as string).trim()),
  trimAll: fixed(['string', 'string'], ([cut, s]) => trimChars(s as string, cut as string, true, true)),
  trimall: fixed(['string', 'string'], ([cut, s]) => trimChars(s as string, cut as string, true, true)),
  trimPrefix: fixed(['string', 'string'], ([p, s]) =>
    (s as string).startsWith(p as string) ? (s as string).slice((p as string).length) : s,
  ),
  trimSuffix: fixed(['string', 'string'], ([p, s]) =>
    (p as string) !== '' && (s as string).endsWith(p as string)
      ? (s as string).slice(0, -(p as string).length)
      : s,
  ),
  nospace: fixed(['string'], ([s]) => (s as string).replace(/\s/g, '')),
  repeat: fixed(['int', 'string'], ([n, s]) => (s as string).repeat(Math.max(0, n as number))),
  substr: fixed(['int', 'int', 'string'], ([a, b, s]) => {
    const str = s as string;
    const start = a as number;
    const end = b as number;
    if (start < 0) return str.slice(0, end);
    if (end < 0 || end > str.length) return str.slice(start);
    return str.slice(start, end);
  }),
  trunc: fixed(['int', 'string'], ([n, s]) => {
    const c = n as number;
    const str = s as string;
    if (c < 0 && str.length + c > 0) return str.slice(str.length + c);
    if (c >= 0 && str.length > c) return str.slice(0, c);
    return str;
  }),
  abbrev: fixed(['int', 'string'], ([w, s]) => {
    const width = w as number;
    const str = s as string;
    if (width < 4 || str.length <= width) return str;
    return `${str.slice(0, width - 3)}...`;
  }),
  abbrevboth: fixed(['int', 'int', 'string'], ([l, r, s]) => {
    let str = s as string;
    const left = l as number;
    const right = r as number;
    if (right < 4 || (left > 0 && right < 7)) return str;
    if (left > 4) str = `...${str.slice(left)}`;
    return str.length > right ? `${str.slice(0, right - 3)}...` : str;
  }),
  initials: fixed(['string'], ([s]) =>
    (s as string)
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => [...w][0])
      .join(''),
  ),
  wrap: fixed(['int', 'string'], ([w, s]) => wrapText(w as number, s as string)),
  wrapWith: fixed(['int', 'string', 'string'], ([w, sep, s]) =>
    wrapText(w as number, s as string, sep as string),
  ),
  contains: fixed(['string', 'string'], ([sub, s]) => (s as string).includes(sub as string)),
  hasPrefix: fixed(['string', 'string'], ([p, s]) => (s as string).startsWith(p as string)),
  hasSuffix: fixed(['string', 'string'], ([p, s]) => (s as string).endsWith(p as string)),
  quote: variadic([], 'any', (args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map((a) => goSprintf('%q', [strval(a)]))
      .join(' '),
  ),
  squote: variadic([], 'any', (args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map((a) => `'${strval(a)}'`)
      .join(' '),
  ),
  cat: variadic([], 'any', (args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map((a) => strval(a))
      .join(' '),
  ),
  indent: fixed(['int', 'string'], ([n, s]) => {
    const pad = ' '.repeat(Math.max(0, n as number));
    return pad + (s as string).replace(/\n/g, `\n${pad}`);
  }),
  nindent: fixed(['int', 'string'], ([n, s]) => {
    const pad = ' '.repeat(Math.max(0, n as number));
    return `\n${pad}${(s as string).replace(/\n/g, `\n${pad}`)}`;
  }),
  replace: fixed(['string', 'string', 'string'], ([o, n, s]) =>
    (s as string).split(o as string).join(n as string),
  ),
  plural: fixed(['string', 'string', 'int'], ([one, many, c]) => ((c as number) === 1 ? one : many)),
  snakecase: fixed(['string'], ([s]) =>
    words(s as string)
      .map((w) => w.toLowerCase())
      .join('_'),
  ),
  camelcase: fixed(['string'], ([s]) =>
    (s as string)
      .split('_')
      .map((w) => (w ? w.charAt(0).toUpperCase() + w.slice(1) : ''))
      .join(''),
  ),
  kebabcase: fixed(['string'], ([s]) =>
    words(s as string)
      .map((w) => w.toLowerCase())
      .join('-'),
  ),
  swapcase: fixed(['string'], ([s]) =>
    [...(s as string)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  ),
  toString: fixed(['any'], ([v]) => strval(v)),
  toStrings: fixed(['any'], ([v]) =>
    Array.isArray(v) ? v.map(strval) : v === null || v === undefined ? [] : [strval(v)],
  ),
  // ---- conversions
  atoi: fixed(['string'], ([s]) => {
    const t = (s as string).trim();
    return /^[+-]?\d+$/.test(t) ? Number(t) : 0;
  }),
  int: fixed(['any'], ([v]) => toInt(v)),
  int64: fixed(['any'], ([v]) => toInt(v)),
  float64: fixed(['any'], ([v]) => new GoFloat(toFloat(v))),
  toDecimal: fixed(['any'], ([v]) => {
    const s = strval(v);
    return /^[0-7]+$/.test(s) ? parseInt(s, 8) : 0;
  }),
  split: fixed(['string', 'string'], ([sep, s]) => {
    const out: Record<string, unknown> = {};
    (s as string).split(sep as string).forEach((p, i) => (out[`_${i}`] = p));
    return out;
  }),
  splitList: fixed(['string', 'string'], ([sep, s]) => (s as string).split(sep as string)),
  splitn: fixed(['string', 'int', 'string'], ([sep, n, s]) => {
    const parts = (s as string).split(sep as string);
    const limit = n as number;
    const kept =
      limit > 0 && parts.length > limit
        ? [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(sep as string)]
        : parts;
    const out: Record<string, unknown> = {};
    kept.forEach((p, i) => (out[`_${i}`] = p));
    return out;
  }),
  join: fixed(['string', 'any'], ([sep, v]) =>
    (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]).map(strval).join(sep as string),
  ),
  sortAlpha: fixed(['any'], ([v]) => (Array.isArray(v) ? v.map(strval).sort() : [strval(v)])),
  // ---- defaults and flow
  default: variadic(['any'], 'any', ([d, ...given]) =>
    given.length === 0 || isEmpty(given[0]) ? d : given[0],
  ),
  empty: fixed(['any'], ([v]) => isEmpty(v)),
  coalesce: variadic([], 'any', (args) => args.find((a) => !isEmpty(a)) ?? null),
  all: variadic([], 'any', (args) => args.every((a) => !isEmpty(a))),
  any: variadic([], 'any', (args) => args.some((a) => !isEmpty(a))),
  compact: fixed(['any'], ([v]) => list(v, 'compact').filter((a) => !isEmpty(a))),
  ternary: fixed(['any', 'any', 'bool'], ([t, f, c]) => (c ? t : f)),
  fail: fixed(['string'], ([m]) => {
    throw new FuncError(m as string);
  }),
  // ---- JSON and encodings
  toJson: fixed(['any'], ([v]) => JSON.stringify(plain(v)) ?? 'null'),
  toRawJson: fixed(['any'], ([v]) => JSON.stringify(plain(v)) ?? 'null'),
  toPrettyJson: fixed(['any'], ([v]) => JSON.stringify(plain(v), null, '  ') ?? 'null'),
  fromJson: fixed(['string'], ([s]) => {
    try {
      return JSON.parse(s as string) as unknown;
    } catch {
      return {};
    }
  }),
  mustFromJson: fixed(['string'], ([s]) => {
    try {
      return JSON.parse(s as string) as unknown;
    } catch (err) {
      throw new FuncError((err as Error).message);
    }
  }),
  b64enc: fixed(['string'], ([s]) => Buffer.from(s as string, 'utf8').toString('base64')),
  b64dec: fixed(['string'], ([s]) => Buffer.from(s as string, 'base64').toString('utf8')),
  b32enc: fixed(['string'], ([s]) => base32(Buffer.from(s as string, 'utf8'))),
  sha1sum: fixed(['string'], ([s]) =>
    createHash('sha1')
      .update(s as string)
      .digest('hex'),
  ),
  sha256sum: fixed(['string'], ([s]) =>
    createHash('sha256')
      .update(s as string)
      .digest('hex'),
  ),
  sha512sum: fixed(['string'], ([s]) =>
    createHash('sha512')
      .update(s as string)
      .digest('hex'),
  ),
  adler32sum: fixed(['string'], ([s]) => String(adler32(Buffer.from(s as string, 'utf8')))),
  // ---- environment and paths
  env: fixed(['string'], ([k], ctx) => ctx.env.get(k as string) ?? ''),
  expandenv: fixed(['string'], ([s], ctx) =>
    (s as string).replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_m, a?: string, b?: string) => ctx.env.get(a ?? b ?? '') ?? '',
    ),
  ),
  base: fixed(['string'], ([p]) => basename(p as string) || (p === '' ? '.' : '/')),
  dir: fixed(['string'], ([p]) => posix.dirname(p as string)),
  clean: fixed(['string'], ([p]) => (p === '' ? '.' : normalize(p as string).replace(/(.)\/$/, '$1'))),
  ext: fixed(['string'], ([p]) => extname(p as string)),
  isAbs: fixed(['string'], ([p]) => isAbsolute(p as string)),
  // ---- lists
  list: variadic([], 'any', (args) => args),
  tuple: variadic([], 'any', (args) => args),
  append: fixed(['any', 'any'], ([l, v]) => [...list(l, 'append'), v]),
  push: fixed(['any', 'any'], ([l, v]) => [...list(l, 'push'), v]),
  prepend: fixed(['any', 'any'], ([l, v]) => [v, ...list(l, 'prepend')]),
  first: fixed(['any'], ([l]) => (Array.isArray(l) ? (l[0] ?? null) : null)),
  last: fixed(['any'], ([l]) => (Array.isArray(l) ? (l[l.length - 1] ?? null) : null)),
  rest: fixed(['any'], ([l]) => (Array.isArray(l) ? l.slice(1) : null)),
  initial: fixed(['any'], ([l]) => (Array.isArray(l) ? l.slice(0, -1) : null)),
  reverse: fixed(['any'], ([l]) => [...list(l, 'reverse')].reverse()),
  uniq: fixed(['any'], ([l]) => {
    const out: unknown[] = [];
    for (const x of list(l, 'uniq'))
      if (!out.some((y) => goSprint(y) === goSprint(x) && typeof y === typeof x)) out.push(x);
    return out;
  }),
  without: variadic(['any'], 'any', ([l, ...omit]) =>
    list(l, 'without').filter((x) => !omit.some((o) => o === x)),
  ),
  has: fixed(['any', 'any'], ([needle, hay]) => (Array.isArray(hay) ? hay.some((x) => x === needle) : false)),
  concat: variadic([], 'any', (lists) => lists.flatMap((l) => list(l, 'concat'))),
  chunk: fixed(['int', 'any'], ([n, l]) => {
    const size = n as number;
    const src = list(l, 'chunk');
    const out: unknown[][] = [];
    for (let i = 0; i < src.length; i += size) out.push(src.slice(i, i + size));
    return out;
  }),
  until: fixed(['int'], ([n]) => {
    const c = n as number;
    const step = c < 0 ? -1 : 1;
    const out: number[] = [];
    for (let i = 0; step > 0 ? i < c : i > c; i += step) out.push(i);
    return out;
  }),
  untilStep: fixed(['int', 'int', 'int'], ([a, b, s]) => {
    const out: number[] = [];
    const step = s as number;
    if (step === 0) return out;
    for (let i = a as number; step > 0 ? i < (b as number) : i > (b as number); i += step) out.push(i);
    return out;
  }),
  seq: variadic([], 'int', (args) => {
    const n = args as number[];
    const [start, step, end] =
      n.length === 1
        ? [1, 1, n[0] as number]
        : n.length === 2
          ? [n[0] as number, (n[0] as number) <= (n[1] as number) ? 1 : -1, n[1] as number]
          : [n[0] as number, n[1] as number, n[2] as number];
    const out: number[] = [];
    if (n.length === 0 || step === 0) return '';
    for (let i = start; step > 0 ? i <= end : i >= end; i += step) out.push(i);
    return out.join(' ');
  }),
  // ---- dicts
  dict: variadic([], 'any', (args) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < args.length; i += 2) out[strval(args[i])] = i + 1 < args.length ? args[i + 1] : '';
    return out;
  }),
  get: fixed(['map', 'string'], ([d, k]) => {
    const o = dictOf(d);
    return Object.hasOwn(o, k as string) ? o[k as string] : '';
  }),
  set: fixed(['map', 'string', 'any'], ([d, k, v]) => {
    const o = dictOf(d);
    o[k as string] = v;
    return o;
  }),
  unset: fixed(['map', 'string'], ([d, k]) => {
    const o = dictOf(d);
    delete o[k as string];
    return o;
  }),
  hasKey: fixed(['map', 'string'], ([d, k]) => Object.hasOwn(dictOf(d), k as string)),
  pluck: variadic(['string'], 'map', ([k, ...ds]) =>
    ds
      .map(dictOf)
      .filter((o) => Object.hasOwn(o, k as string))
      .map((o) => o[k as string]),
  ),
  keys: variadic([], 'map', (ds) => ds.flatMap((d) => Object.keys(dictOf(d)))),
  values: fixed(['map'], ([d]) => Object.values(dictOf(d))),
  pick: variadic(['map'], 'string', ([d, ...ks]) => {
    const o = dictOf(d);
    const out: Record<string, unknown> = {};
    for (const k of ks as string[]) if (Object.hasOwn(o, k)) out[k] = o[k];
    return out;
  }),
  omit: variadic(['map'], 'string', ([d, ...ks]) => {
    const out: Record<string, unknown> = { ...dictOf(d) };
    for (const k of ks as string[]) delete out[k];
    return out;
  }),
  merge: variadic(['map'], 'map', ([dst, ...srcs]) => {
    const out = dictOf(dst);
    for (const s of srcs)
      for (const [k, v] of Object.entries(dictOf(s))) if (!Object.hasOwn(out, k)) out[k] = v;
    return out;
  }),
  mergeOverwrite: variadic(['map'], 'map', ([dst, ...srcs]) => {
    const out = dictOf(dst);
    for (const s of srcs) Object.assign(out, dictOf(s));
    return out;
  }),
  dig: variadic([], 'any', (args) => {
    if (args.length < 3) throw new FuncError('dig needs at least three arguments');
    const d = dictOf(args[args.length - 1]);
    const def = args[args.length - 2];
    let cur: unknown = d;
    for (const k of args.slice(0, -2)) {
      if (!isPlainObject(cur) || !Object.hasOwn(cur, strval(k))) return def;
      cur = cur[strval(k)];
    }
    return cur;
  }),
  deepCopy: fixed(['any'], ([v]) => structuredClone(plain(v))),
  // ---- math
  add1: fixed(['any'], ([v]) => toInt(v) + 1),
  add: variadic([], 'any', (args) => args.reduce<number>((s, a) => s + num(a), 0)),
  sub: fixed(['any', 'any'], ([a, b]) => num(a) - num(b)),
  mul: variadic(['any'], 'any', ([a, ...r]) => r.reduce<number>((p, x) => p * num(x), num(a))),
  div: fixed(['any', 'any'], ([a, b]) => {
    if (num(b) === 0) throw new FuncError('runtime error: integer divide by zero');
    return Math.trunc(num(a) / num(b));
  }),
  mod: fixed(['any', 'any'], ([a, b]) => {
    if (num(b) === 0) throw new FuncError('runtime error: integer divide by zero');
    return num(a) % num(b);
  }),
  max: variadic(['any'], 'any', ([a, ...r]) => Math.max(num(a), ...r.map(num))),
  biggest: variadic(['any'], 'any', ([a, ...r]) => Math.max(num(a), ...r.map(num))),
  min: variadic(['any'], 'any', ([a, ...r]) => Math.min(num(a), ...r.map(num))),
  addf: variadic([], 'any', (args) => new GoFloat(args.reduce<number>((s, a) => s + toFloat(a), 0))),
  subf: variadic(
    ['any'],
    'any',
    ([a, ...r]) => new GoFloat(r.reduce<number>((s, x) => s - toFloat(x), toFloat(a))),
  ),
  mulf: variadic(
    ['any'],
    'any',
    ([a, ...r]) => new GoFloat(r.reduce<number>((s, x) => s * toFloat(x), toFloat(a))),
  ),
  divf: variadic(
    ['any'],
    'any',
    ([a, ...r]) => new GoFloat(r.reduce<number>((s, x) => s / toFloat(x), toFloat(a))),
  ),
  maxf: variadic(['any'], 'any', ([a, ...r]) => new GoFloat(Math.max(toFloat(a), ...r.map(toFloat)))),
  minf: variadic(['any'], 'any', ([a, ...r]) => new GoFloat(Math.min(toFloat(a), ...r.map(toFloat)))),
  floor: fixed(['any'], ([v]) => new GoFloat(Math.floor(toFloat(v)))),
  ceil: fixed(['any'], ([v]) => new GoFloat(Math.ceil(toFloat(v)))),
  round: variadic(['any', 'int'], 'any', ([v, p, r]) => {
    const m = 10 ** (p as number);
    const roundOn = r === undefined ? 0.5 : toFloat(r);
    const x = toFloat(v) * m;
    const frac = x - Math.trunc(x);
    return new GoFloat((Math.abs(frac) >= roundOn ? Math.trunc(x) + Math.sign(x) : Math.trunc(x)) / m);
  }),
  // ---- regular expressions (Go syntax)
  regexFind: fixed(['string', 'string'], ([re, s]) => regexOf(re as string).exec(s as string)?.[0] ?? ''),
  regexFindAll: fixed(['string', 'string', 'int'], ([re, s, n]) => {
    const all = [...(s as string).matchAll(globalRegex(re as string))].map((m) => m[0]);
    return (n as number) < 0 ? all : all.slice(0, n as number);
  }),
  regexReplaceAll: fixed(['string', 'string', 'string'], ([re, s, repl]) =>
    (s as string).replace(globalRegex(re as string), (...m: unknown[]) => {
      const groups = m.at(-1);
      const arr = m.slice(0, -2) as string[] as unknown as RegExpExecArray;
      if (isPlainObject(groups)) arr.groups = groups as Record<string, string>;
      return expandReplacement(repl as string, arr);
    }),
  ),
  regexReplaceAllLiteral: fixed(['string', 'string', 'string'], ([re, s, repl]) =>
    (s as string).replace(globalRegex(re as string), () => repl as string),
  ),
  regexSplit: fixed(['string', 'string', 'int'], ([re, s, n]) => {
    const parts = (s as string).split(globalRegex(re as string));
    const limit = n as number;
    return limit < 0 || parts.length <= limit
      ? parts
      : [
          ...parts.slice(0, limit - 1),
          (s as string)
            .split(globalRegex(re as string))
            .slice(limit - 1)
            .join(''),
        ];
  }),
  regexQuoteMeta: fixed(['string'], ([s]) => (s as string).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')),
  // ---- semver and types
  semverCompare: fixed(['string', 'string'], ([c, v]) => semverSatisfies(c as string, v as string)),
  typeOf: fixed(['any'], ([v]) => typeName(v)),
  typeIs: fixed(['string', 'any'], ([t, v]) => typeName(v) === t),
  typeIsLike: fixed(['string', 'any'], ([t, v]) => typeName(v) === t || `*${typeName(v)}` === t),
  kindOf: fixed(['any'], ([v]) => kindName(v)),
  kindIs: fixed(['string', 'any'], ([t, v]) => kindName(v) === t),
  deepEqual: fixed(['any', 'any'], ([a, b]) => JSON.stringify(plain(a)) === JSON.stringify(plain(b))),
};

function kindName(v: unknown): string {
  const t = typeName(v);
  if (t.startsWith('[]')) return 'slice';
  if (t.startsWith('map')) return 'map';
  if (t === '<nil>') return 'invalid';
  return t;
}

function trimChars(s: string, cut: string, left: boolean, right: boolean): string {
  const set = new Set([...cut]);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  if (left) while (a < b && set.has(chars[a] as string)) a++;
  if (right) while (b > a && set.has(chars[b - 1] as string)) b--;
  return chars.slice(a, b).join('');
}

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
