// Go's regexp syntax (RE2) translated to a JavaScript RegExp: goss specs and templates are
// written for Go's engine (`match-regexp`, `/regex/` patterns, regexMatch, findStringSubmatch).
//
// What differs and is translated: `(?P<name>...)` groups, leading flag groups `(?i)` `(?s)`
// `(?m)` (also `(?i:...)` around the whole pattern is not needed: only a leading group is
// supported), `\A` and `\z`, POSIX classes `[[:alpha:]]`, `\pL` / `\p{Greek}`, `\Q...\E`,
// octal escapes `\123`, `\x{10FFFF}`, Go's ASCII `\s`, and `.` matching `\r` as in Go.
// What Go rejects is rejected here too (lookarounds, backreferences), so a pattern never
// means something else than it does for goss.

/** A pattern Go's regexp package would not compile (or kolet cannot translate). */
export class GoRegexpError extends Error {
  constructor(message: string) {
    super(`error parsing regexp: ${message}`);
    this.name = 'GoRegexpError';
  }
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const SPACE_CLASS = '\\t\\n\\f\\r ';
// Characters a JavaScript regex in unicode mode allows to be escaped.
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));

const cache = new Map<string, RegExp>();

/** Compile a Go regular expression (cached); throws GoRegexpError. `extraFlags` adds JS flags such as g. */
export function goRegexp(pattern: string, extraFlags = ''): RegExp {
  const key = `${extraFlags}\0${pattern}`;
  const hit = cache.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  const { source, flags } = translateGoRegexp(pattern);
  let re: RegExp;
  try {
    re = new RegExp(source, flags + extraFlags);
  } catch (err) {
    throw new GoRegexpError(
      `${(err as Error).message.replace(/^Invalid regular expression: /, '')}: \`${pattern}\``,
    );
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, re);
  return re;
}

/** The JavaScript source and flags that mean what the Go pattern means. */
export function translateGoRegexp(pattern: string): { source: string; flags: string } {
  let p = pattern;
  const flags = new Set<string>();
  // Leading flag groups: (?i), (?ms), (?i)(?s) ...
  for (;;) {
    const m = /^\(\?([imsU]+)\)/.exec(p);
    if (!m) break;
    for (const f of m[1] ?? '') flags.add(f);
    p = p.slice(m[0].length);
  }
  if (flags.has('U')) throw new GoRegexpError('the (?U) flag (ungreedy) is not supported by kolet');
  const dotAll = flags.has('s');
  let unicode = false;
  let out = '';
  let i = 0;
  let inClass = false;
  const n = p.length;
  const literal = (c: string): string => {
    if (/[\\^$.*+?()[\]{}|/]/.test(c) || (c === '-' && inClass)) return `\\${c}`;
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
    return c;
  };
  while (i < n) {
    const c = p[i] as string;
    if (c === '\\') {
      const e = p[i + 1];
      if (e === undefined) throw new GoRegexpError('trailing backslash at end of expression: ``');
      if (e === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const text = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += [...text].map(literal).join('');
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (e === 'A' && !inClass) {
        out += '^';
        i += 2;
        continue;
      }
      if (e === 'z' && !inClass) {
        out += '$(?![\\s\\S])';
        i += 2;
        continue;
      }
      if (e === 's' || e === 'S') {
        out += inClass
          ? e === 's'
            ? SPACE_CLASS
            : '\\S'
          : e === 's'
            ? `[${SPACE_CLASS}]`
            : `[^${SPACE_CLASS}]`;
        i += 2;
        continue;
      }
      if (e === 'p' || e === 'P') {
        let name: string;
        let len: number;
        if (p[i + 2] === '{') {
          const close = p.indexOf('}', i + 3);
          if (close < 0) throw new GoRegexpError(`invalid character class range: \`${p.slice(i)}\``);
          name = p.slice(i + 3, close);
          len = close + 1 - i;
        } else {
          name = p[i + 2] ?? '';
          len = 3;
        }
        let neg = e === 'P';
        if (name.startsWith('^')) {
          neg = !neg;
          name = name.slice(1);
        }
        unicode = true;
        const prop =
          /^(?:L|Lu|Ll|Lt|Lm|Lo|M|Mn|Mc|Me|N|Nd|Nl|No|P|Pc|Pd|Ps|Pe|Pi|Pf|Po|S|Sm|Sc|Sk|So|Z|Zs|Zl|Zp|C|Cc|Cf|Co|Cs|Any)$/.test(
            name,
          )
            ? name === 'Any'
              ? 'Any'
              : name
            : `Script=${name}`;
        out += `\\${neg ? 'P' : 'p'}{${prop}}`;
        i += len;
        continue;
      }
      if (e === 'x') {
        if (p[i + 2] === '{') {
          const close = p.indexOf('}', i + 3);
          if (close < 0) throw new GoRegexpError(`invalid escape sequence: \`${p.slice(i)}\``);
          const cp = parseInt(p.slice(i + 3, close), 16);
          if (!Number.isFinite(cp) || cp > 0x10ffff)
            throw new GoRegexpError(`invalid escape sequence: \`${p.slice(i, close + 1)}\``);
          out += literal(String.fromCodePoint(cp));
          i = close + 1;
          continue;
        }
        out += p.slice(i, i + 4);
        i += 4;
        continue;
      }
      if (/[0-7]/.test(e)) {
        const oct = /^[0-7]{1,3}/.exec(p.slice(i + 1))?.[0] ?? e;
        if (oct.length === 1 && e !== '0')
          throw new GoRegexpError(`invalid escape sequence: \`\\${e}\` (Go has no backreferences)`);
        out += literal(String.fromCharCode(parseInt(oct, 8)));
        i += 1 + oct.length;
        continue;
      }
      if (e === '8' || e === '9') throw new GoRegexpError(`invalid escape sequence: \`\\${e}\``);
      if (/[A-Za-z]/.test(e)) {
        if (!/[dDwWbBtnrfvae]/.test(e)) throw new GoRegexpError(`invalid escape sequence: \`\\${e}\``);
        if (e === 'a') out += '\\x07';
        else if (e === 'e') out += '\\x1b';
        else out += `\\${e}`;
        i += 2;
        continue;
      }
      // An escaped punctuation character is that character.
      out += JS_SYNTAX.has(e) || (e === '-' && inClass) ? `\\${e}` : literal(e);
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && p[i + 1] === ':') {
        const close = p.indexOf(':]', i + 2);
        const name = close < 0 ? '' : p.slice(i + 2, close);
        const neg = name.startsWith('^');
        const body = POSIX[neg ? name.slice(1) : name];
        if (body === undefined)
          throw new GoRegexpError(`invalid character class range: \`${p.slice(i, close + 2)}\``);
        if (neg)
          throw new GoRegexpError(
            `negated POSIX classes such as [[:^${name.slice(1)}:]] are not supported by kolet`,
          );
        out += body;
        i = close + 2;
        continue;
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      i++;
      if (p[i] === '^') {
        out += '^';
        i++;
      }
      // A ] right after [ or [^ is a literal in Go.
      if (p[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2);
      const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += 2 + named[0].length;
        continue;
      }
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 3;
        continue;
      }
      if (/^[=!]|^<[=!]/.test(rest))
        throw new GoRegexpError(
          `invalid or unsupported Perl syntax: \`(?${rest.slice(0, rest[0] === '<' ? 2 : 1)}\``,
        );
      throw new GoRegexpError(
        `flag groups other than a leading (?i), (?m) or (?s) are not supported by kolet: \`(?${rest.slice(0, 3)}\``,
      );
    }
    if (c === '.') {
      out += dotAll ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    if (c === '/') {
      out += '\\/';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  if (inClass) throw new GoRegexpError(`missing closing ]: \`${pattern}\``);
  let jsFlags = '';
  if (flags.has('i')) jsFlags += 'i';
  if (flags.has('m')) jsFlags += 'm';
  if (unicode) jsFlags += 'u';
  return { source: out, flags: jsFlags };
}
