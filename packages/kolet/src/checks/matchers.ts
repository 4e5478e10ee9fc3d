/**
 * Content patterns as goss users write them: `text` (a substring), `/regex/` (JavaScript
 * syntax, multi-line: ^ and $ match at line ends; optional flags i and s after the closing
 * slash) and a leading `!` to require the opposite. `\!` and `\/` escape a leading `!` or `/`.
 */
export interface Pattern {
  /** what the user wrote */
  source: string;
  negate: boolean;
  /** the substring to find, or undefined for a regex */
  text: string | undefined;
  regex: RegExp | undefined;
}

const REGEX = /^\/(.*)\/([is]*)$/s;

/** Parse one pattern; throws an Error whose message says what is wrong with a bad regex. */
export function parsePattern(raw: string): Pattern {
  let body = raw;
  let negate = false;
  if (body.startsWith('!')) {
    negate = true;
    body = body.slice(1);
  } else if (body.startsWith('\\!')) {
    body = body.slice(1);
  }
  if (body.startsWith('\\/')) return { source: raw, negate, text: body.slice(1), regex: undefined };
  const m = REGEX.exec(body);
  if (m && body.length >= 2) {
    try {
      return { source: raw, negate, text: undefined, regex: new RegExp(m[1] ?? '', `m${m[2] ?? ''}`) };
    } catch (err) {
      throw new Error(
        `invalid regular expression ${raw}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return { source: raw, negate, text: body, regex: undefined };
}

/** Whether the content satisfies one pattern (negation applied). */
export function patternHolds(content: string, p: Pattern): boolean {
  const found = p.regex ? p.regex.test(content) : content.includes(p.text ?? '');
  return p.negate ? !found : found;
}

/** The patterns the content does not satisfy (empty when all hold). */
export function unmetPatterns(content: string, patterns: readonly Pattern[]): Pattern[] {
  return patterns.filter((p) => !patternHolds(content, p));
}
