import picomatch from 'picomatch';
import { InputError } from '../errors/mantle-error.js';

/**
 * How a name pattern is read:
 * - `picomatch` (kola's test names, as before): picomatch's whole syntax — `*`, `?`, `[...]`,
 *   braces `{a,b}`, extglobs `+(x)`, a leading `!` negates.
 * - `path-match` (ore's VM names, Go mantle's flags): only `*`, `?` and `[...]` (`[!...]`
 *   negates), as Go's path.Match; every other character stands for itself, so names with dots,
 *   parentheses or braces need no escaping. An unclosed or empty `[` is an input error.
 */
export type GlobDialect = 'picomatch' | 'path-match';

export interface GlobOptions {
  dialect?: GlobDialect;
  /** the flag the pattern came from, named in errors (default `pattern`) */
  flag?: string;
  /** the error code of a malformed pattern (default GLOB_BAD_PATTERN) */
  code?: string;
}

/** Compile one name pattern into a predicate, anchored at both ends. */
export function compileGlob(pattern: string, opts: GlobOptions = {}): (name: string) => boolean {
  const m =
    (opts.dialect ?? 'picomatch') === 'picomatch'
      ? picomatch(pattern)
      : // Everything special to picomatch but `*` and `?` is escaped: the dialect is the narrower one.
        picomatch(pathMatchAsPicomatch(pattern, opts), {
          dot: true,
          nonegate: true,
          nobrace: true,
          noextglob: true,
          noglobstar: true,
        });
  // One argument only: picomatch's matcher returns an object (truthy) when given a second,
  // which `names.filter(matcher)` would pass.
  return (name) => m(name);
}

/** Compile several patterns into one predicate: a name matches when any pattern does. */
export function globMatcher(patterns: readonly string[], opts: GlobOptions = {}): (name: string) => boolean {
  const matchers = patterns.map((p) => compileGlob(p, opts));
  return (name) => matchers.some((m) => m(name));
}

function pathMatchAsPicomatch(pattern: string, opts: GlobOptions): string {
  const bad = (why: string, hint: string): InputError =>
    new InputError({
      code: opts.code ?? 'GLOB_BAD_PATTERN',
      message: `${opts.flag ?? 'pattern'} ${JSON.stringify(pattern)}: ${why}`,
      hint,
    });
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' || ch === '?') out += ch;
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw bad('"[" without "]"', 'close the character class, or match a literal [ with ?');
      let cls = pattern.slice(i + 1, end);
      const negate = cls.startsWith('!');
      if (negate) cls = cls.slice(1);
      if (cls === '')
        throw bad('"[]" matches no character', 'put characters between [ and ], or drop the []');
      // Inside a class only ranges are special: a backslash, ^ or [ is that character.
      out += `[${negate ? '^' : ''}${cls.replace(/[\\^[]/g, '\\$&')}]`;
      i = end;
    } else out += /[\\[\]{}()!+@|^$.,]/.test(ch) ? `\\${ch}` : ch;
  }
  return out;
}
