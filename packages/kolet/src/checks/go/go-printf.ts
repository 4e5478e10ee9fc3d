// Go's fmt.Sprintf for templates (`printf`, Sprig's functions built on it): the verbs
// %v %+v %#v %s %q %d %b %o %O %x %X %c %U %e %E %f %F %g %G %t %T %p %%, the flags + - # 0
// and space, width and precision (also `*`), and Go's %!verb(type=value) for a mismatch.
import {
  GoFloat,
  formatGoFloat,
  goSprint,
  goTypeName,
  isGoFloat,
  isPlainObject,
  numberOf,
} from './go-format.js';

interface Spec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  const w = spec.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  if (spec.minus) return s + ' '.repeat(w - len);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    const rest = sign ? s.slice(1) : s;
    const prefix = /^0[xXbo]/.test(rest) ? rest.slice(0, 2) : '';
    return sign + prefix + '0'.repeat(w - len) + rest.slice(prefix.length);
  }
  return ' '.repeat(w - len) + s;
}

function signed(s: string, neg: boolean, spec: Spec): string {
  if (neg) return `-${s}`;
  if (spec.plus) return `+${s}`;
  if (spec.space) return ` ${s}`;
  return s;
}

function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f');
}

function bad(verb: string, v: unknown): string {
  return `%!${verb}(${goTypeName(v)}=${goSprint(v)})`;
}

function formatInt(v: number, verb: string, spec: Spec): string {
  const neg = v < 0;
  const abs = BigInt(Math.trunc(Math.abs(v)));
  let digits: string;
  switch (verb) {
    case 'd':
    case 'v':
      digits = abs.toString(10);
      break;
    case 'b':
      digits = abs.toString(2);
      break;
    case 'o':
    case 'O':
      digits = abs.toString(8);
      if (verb === 'O') digits = `0o${digits}`;
      else if (spec.sharp && digits !== '0') digits = `0${digits}`;
      break;
    case 'x':
      digits = abs.toString(16);
      if (spec.sharp) digits = `0x${digits}`;
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (spec.sharp) digits = `0X${digits}`;
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(abs)), spec, false);
    case 'q':
      return pad(`'${String.fromCodePoint(Number(abs))}'`, spec, false);
    case 'U':
      return pad(`U+${abs.toString(16).toUpperCase().padStart(4, '0')}`, spec, false);
    default:
      return bad(verb, v);
  }
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, '0');
  return pad(signed(digits, neg, spec), spec, spec.prec === undefined);
}

function formatFloat(v: number, verb: string, spec: Spec): string {
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  let s: string;
  if (!Number.isFinite(a)) s = Number.isNaN(a) ? 'NaN' : 'Inf';
  else
    switch (verb) {
      case 'f':
      case 'F':
        s = a.toFixed(spec.prec ?? 6);
        break;
      case 'e':
      case 'E': {
        s = a.toExponential(spec.prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        if (verb === 'E') s = s.toUpperCase();
        break;
      }
      case 'g':
      case 'G':
      case 'v':
        s = spec.prec === undefined ? formatGoFloat(a, 6) : shortG(a, spec.prec);
        if (verb === 'G') s = s.toUpperCase();
        break;
      default:
        return bad(verb, v);
    }
  if (Number.isNaN(v)) return pad(spec.plus ? '+NaN' : 'NaN', spec, false);
  return pad(signed(s, neg, spec), spec, Number.isFinite(a));
}

function shortG(a: number, prec: number): string {
  const p = prec === 0 ? 1 : prec;
  const exp = a === 0 ? 0 : Math.floor(Math.log10(a));
  if (exp < -4 || exp >= p)
    return a
      .toExponential(p - 1)
      .replace(/\.?0+e/, 'e')
      .replace(/e([+-])(\d)$/, 'e$10$2');
  return String(Number(a.toPrecision(p)));
}

function formatValue(v: unknown, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(goTypeName(v), spec, false);
  if (verb === 'p') return bad(verb, v);
  if (typeof v === 'boolean') {
    if (verb === 't' || verb === 'v') return pad(v ? 'true' : 'false', spec, false);
    return bad(verb, v);
  }
  const n = numberOf(v);
  if (n !== undefined) {
    if (isGoFloat(v) || v instanceof GoFloat) return formatFloat(n, verb, spec);
    if ('eEfFgG'.includes(verb)) return bad(verb, v);
    return formatInt(n, verb, spec);
  }
  if (typeof v === 'string') {
    switch (verb) {
      case 'v':
      case 's':
        return pad(spec.prec !== undefined ? [...v].slice(0, spec.prec).join('') : v, spec, false);
      case 'q':
        return pad(spec.sharp && !v.includes('`') ? `\`${v}\`` : goQuote(v), spec, false);
      case 'x':
      case 'X': {
        const hex = Buffer.from(v, 'utf8').toString('hex');
        return pad(verb === 'X' ? hex.toUpperCase() : hex, spec, false);
      }
      default:
        return bad(verb, v);
    }
  }
  if (v === null || v === undefined)
    return verb === 'v' || verb === 's' ? pad('<nil>', spec, false) : `%!${verb}(<nil>)`;
  if (Array.isArray(v)) {
    if (verb === 'v' || verb === 's' || verb === 'd' || verb === 'q' || verb === 'x')
      return `[${v.map((x) => formatValue(x, verb, { ...spec, width: undefined })).join(' ')}]`;
    return bad(verb, v);
  }
  if (isPlainObject(v) || v instanceof Map) {
    const o: Record<string, unknown> = v instanceof Map ? Object.fromEntries(v as Map<string, unknown>) : v;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${formatValue(o[k], verb, { ...spec, width: undefined })}`)
      .join(' ')}]`;
  }
  return pad(goSprint(v), spec, false);
}

/** fmt.Sprintf(format, args...). */
export function goSprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const spec: Spec = {
      plus: false,
      minus: false,
      sharp: false,
      zero: false,
      space: false,
      width: undefined,
      prec: undefined,
    };
    i++;
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '+') spec.plus = true;
      else if (f === '-') spec.minus = true;
      else if (f === '#') spec.sharp = true;
      else if (f === '0') spec.zero = !spec.minus;
      else if (f === ' ') spec.space = true;
      else break;
    }
    const readNum = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        const n = numberOf(a);
        return n === undefined ? undefined : Math.trunc(n);
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = readNum();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === '.') {
      i++;
      spec.prec = readNum() ?? 0;
    }
    const verb = format[i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++];
    out += formatValue(arg, verb === 'v' && spec.plus ? 'v' : verb, spec);
  }
  if (argi < args.length)
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${goTypeName(a)}=${goSprint(a)}`)
      .join(', ')})`;
  return out;
}

/** fmt.Sprint: operands printed with %v, a space between two that are not strings. */
export function goSprintAll(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goSprint(a);
  });
  return out;
}

/** fmt.Sprintln: operands printed with %v, always separated by spaces, and a newline. */
export function goSprintln(args: readonly unknown[]): string {
  return `${args.map((a) => goSprint(a)).join(' ')}\n`;
}
