// goss's line patterns (the default matcher of file contents, command output and HTTP bodies
// given as a list, and the `have-patterns` matcher): every pattern must hold for the text.
//   "foo"         some line contains foo
//   "!foo"        no line contains foo
//   "/[Rr]egex/"  some line matches (Go regex syntax; flags i, m, s after the closing slash)
//   "!/regex/"    no line matches
// As in goss, the leading `\`, `/` and `!` characters of a plain pattern are all dropped
// before searching (so "\\!foo" looks for foo), and an empty pattern holds even for no text.
import { formatObject, goTypeName } from '../go/go-format.js';
import { goRegexp } from '../go/go-regexp.js';
import { GossMatcher, MatchError, named, type MatcherResult } from './matcher.js';

/** goss's bufio.Scanner limit: a longer line is an error. */
const MAX_LINE = 1024 * 1024;

interface LinePattern {
  source: string;
  inverse: boolean;
  test(line: string): boolean;
}

/** Whether a pattern is a /regex/ (optionally !negated and with i, m, s flags). */
export function isRegexPattern(s: string): boolean {
  const core = s.startsWith('!') ? s.slice(1) : s;
  if (!core.startsWith('/')) return false;
  const close = core.slice(1).lastIndexOf('/');
  if (close < 0) return false;
  return /^[ims]*$/.test(core.slice(1).slice(close + 1));
}

/** Turn one pattern into a line test; throws MatchError for a regex Go would not compile. */
function linePattern(source: string): LinePattern {
  const inverse = source.startsWith('!');
  if (isRegexPattern(source)) {
    let s = inverse ? source.slice(1) : source;
    if (s[0] === '\\' || s[0] === '/') s = s.slice(1);
    const close = s.lastIndexOf('/');
    const flags = s.slice(close + 1);
    const body = `${flags ? `(?${flags})` : ''}${s.slice(0, close)}`;
    let re: RegExp;
    try {
      re = goRegexp(body);
    } catch (err) {
      throw new MatchError((err as Error).message);
    }
    return { source, inverse, test: (line) => re.test(line) };
  }
  const clean = source.replace(/^[\\/!]+/, '');
  return { source, inverse, test: (line) => line.includes(clean) };
}

/** Split text into lines as bufio.ScanLines does: \n separated, a trailing \r dropped, no last empty line. */
function scanLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => {
    if (l.length > MAX_LINE) throw new MatchError('bufio.Scanner: token too long');
    return l.endsWith('\r') ? l.slice(0, -1) : l;
  });
}

/**
 * Check patterns against text line by line. Returns the patterns found (a negated one counts as
 * found when no line matched it) in the order goss lists them.
 */
export function findPatterns(sources: string[], text: string): { found: string[]; missing: string[] } {
  let notFound = sources.map(linePattern);
  const found: LinePattern[] = [];
  if (notFound.length > 0) {
    for (const line of scanLines(text)) {
      const still: LinePattern[] = [];
      for (const pat of notFound) {
        if (pat.test(line)) {
          // Found it; a negated pattern was not supposed to be: it is not found, and no longer searched.
          if (!pat.inverse) found.push(pat);
          continue;
        }
        still.push(pat);
      }
      notFound = still;
      if (notFound.length === 0) break;
    }
  }
  for (const pat of notFound) if (pat.inverse || pat.source === '') found.push(pat);
  const foundSources = found.map((p) => p.source);
  const seen = new Set(foundSources);
  return { found: foundSources, missing: sources.filter((s) => !seen.has(s)) };
}

/** The `have-patterns` matcher (and the default for text attributes given a list). */
export class HavePatternsMatcher extends GossMatcher {
  private missing: string[] | undefined;
  private found: string[] | undefined;

  constructor(readonly elements: unknown) {
    super();
  }

  match(actual: unknown): boolean {
    if (!Array.isArray(this.elements))
      throw new MatchError(
        `HavePatterns matcher expects an array of matchers.  Got:\n${formatObject(this.elements)}`,
      );
    const sources: string[] = [];
    for (const e of this.elements) {
      if (typeof e !== 'string')
        throw new MatchError(
          `HavePatterns matcher expects patterns to be a string. got: \n${formatObject(e)}`,
        );
      sources.push(e);
    }
    const patterns = sources.map(linePattern);
    if (patterns.length === 0) return true;
    let text: string;
    if (typeof actual === 'string') text = actual;
    else if (Array.isArray(actual) && actual.every((x) => typeof x === 'string')) text = actual.join('\n');
    else throw new MatchError(`Incorrect type ${goTypeName(actual)}`);
    const { found, missing } = findPatterns(sources, text);
    this.found = found;
    if (missing.length > 0) {
      this.missing = missing;
      return false;
    }
    return true;
  }

  failureResult(actual: unknown): MatcherResult {
    return {
      actual: typeof actual === 'string' || Array.isArray(actual) ? actual : `object: ${goTypeName(actual)}`,
      message: 'to have patterns',
      expected: this.elements,
      missingElements: this.missing,
      foundElements: this.found,
    };
  }

  negatedFailureResult(actual: unknown): MatcherResult {
    return {
      actual: typeof actual === 'string' ? actual : `object: ${goTypeName(actual)}`,
      message: 'not to have patterns',
      expected: this.elements,
    };
  }

  toJSON(): unknown {
    return named('have-patterns', this.elements);
  }
}
