// Semantic versions and ranges as github.com/blang/semver/v4 reads them (goss's
// `semver-constraint`): versions are strict `MAJOR.MINOR.PATCH[-pre][+build]`; a range is
// comparisons (`>1.0.0`, `<=2.0.0`, `!=1.5.0`, `=1.2.3` or a bare version) separated by spaces
// (all must hold) and `||` (either side), with blang's `1.x` / `1.2.x` wildcards. npm's
// semver does not fit: it has no `!=` and reads `^`, `~` and hyphen ranges blang rejects.

export interface SemVersion {
  major: number;
  minor: number;
  patch: number;
  /** pre-release identifiers, numbers where they are numeric */
  pre: (string | number)[];
}

const NUM = /^(0|[1-9]\d*)$/;
const IDENT = /^[0-9A-Za-z-]+$/;

/** blang's semver.Parse; undefined when the text is not a strict semantic version. */
export function parseSemver(text: string): SemVersion | undefined {
  let s = text;
  const plus = s.indexOf('+');
  if (plus >= 0) {
    const build = s.slice(plus + 1).split('.');
    if (build.some((b) => !IDENT.test(b))) return undefined;
    s = s.slice(0, plus);
  }
  let pre: (string | number)[] = [];
  const dash = s.indexOf('-');
  if (dash >= 0) {
    const parts = s.slice(dash + 1).split('.');
    for (const p of parts) {
      if (!IDENT.test(p)) return undefined;
      if (/^\d+$/.test(p) && !NUM.test(p)) return undefined; // leading zero in a numeric identifier
    }
    pre = parts.map((p) => (NUM.test(p) ? Number(p) : p));
    s = s.slice(0, dash);
  }
  const nums = s.split('.');
  if (nums.length !== 3 || nums.some((n) => !NUM.test(n))) return undefined;
  const [major, minor, patch] = nums.map(Number) as [number, number, number];
  return { major, minor, patch, pre };
}

/** Semantic version precedence: -1, 0 or 1. */
export function compareSemver(a: SemVersion, b: SemVersion): number {
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  if (a.pre.length === 0 && b.pre.length === 0) return 0;
  if (a.pre.length === 0) return 1;
  if (b.pre.length === 0) return -1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export type SemverRange = (v: SemVersion) => boolean;

/** blang's semver.ParseRange; undefined when the range does not parse. */
export function parseSemverRange(text: string): SemverRange | undefined {
  const parts = splitAndTrim(text);
  const orParts: string[][] = [[]];
  for (const p of parts) {
    if (p === '||') {
      if ((orParts[orParts.length - 1] as string[]).length === 0) return undefined;
      orParts.push([]);
      continue;
    }
    (orParts[orParts.length - 1] as string[]).push(p);
  }
  if (orParts.some((p) => p.length === 0)) return undefined;
  const expanded = orParts.map(expandWildcards);
  if (expanded.some((p) => p === undefined)) return undefined;
  const ors: SemverRange[] = [];
  for (const and of expanded as string[][]) {
    const fns: SemverRange[] = [];
    for (const comparison of and) {
      const fn = comparator(comparison);
      if (!fn) return undefined;
      fns.push(fn);
    }
    ors.push((v) => fns.every((f) => f(v)));
  }
  return (v) => ors.some((f) => f(v));
}

// Spaces separate comparisons, except right after an operator (`>= 1.0.0` is one).
function splitAndTrim(s: string): string[] {
  const out: string[] = [];
  let last = 0;
  let lastChar = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ' ' && !['>', '<', '='].includes(lastChar)) {
      if (last < i - 1 || (last === i - 1 && s[last] !== ' ')) out.push(s.slice(last, i));
      last = i + 1;
    } else if (s[i] !== ' ') {
      lastChar = s[i] as string;
    }
  }
  if (last < s.length) out.push(s.slice(last));
  return out.map((p) => p.replace(/ /g, '')).filter((p) => p !== '');
}

function splitOp(s: string): { op: string; version: string } {
  const m = /^([<>=!]*)(.*)$/.exec(s) as RegExpExecArray;
  return { op: m[1] ?? '', version: m[2] ?? '' };
}

function comparator(s: string): SemverRange | undefined {
  const { op, version } = splitOp(s);
  const v = parseSemver(version);
  if (!v) return undefined;
  switch (op) {
    case '':
    case '=':
    case '==':
      return (x) => compareSemver(x, v) === 0;
    case '!':
    case '!=':
      return (x) => compareSemver(x, v) !== 0;
    case '>':
      return (x) => compareSemver(x, v) > 0;
    case '>=':
      return (x) => compareSemver(x, v) >= 0;
    case '<':
      return (x) => compareSemver(x, v) < 0;
    case '<=':
      return (x) => compareSemver(x, v) <= 0;
    default:
      return undefined;
  }
}

// blang's expandWildcardVersion: `1.x` and `1.2.x` become plain comparisons.
function expandWildcards(parts: string[]): string[] | undefined {
  const out: string[] = [];
  for (const part of parts) {
    if (!part.includes('x')) {
      out.push(part);
      continue;
    }
    const { op, version } = splitOp(part);
    const pieces = version.split('.');
    let kind: 'minor' | 'patch';
    if (pieces.length === 2 && pieces[1] === 'x') kind = 'minor';
    else if (pieces.length === 3 && pieces[2] === 'x' && pieces[1] !== 'x') kind = 'patch';
    else if (pieces.length === 3 && pieces[1] === 'x' && pieces[2] === 'x') kind = 'minor';
    else return undefined;
    const major = pieces[0] ?? '';
    const flat = kind === 'minor' ? `${major}.0.0` : `${major}.${pieces[1]}.0`;
    if (!parseSemver(flat)) return undefined;
    const bump = kind === 'minor' ? `${Number(major) + 1}.0.0` : `${major}.${Number(pieces[1]) + 1}.0`;
    switch (op) {
      case '>':
        out.push(`>=${bump}`);
        break;
      case '>=':
        out.push(`>=${flat}`);
        break;
      case '<':
        out.push(`<${flat}`);
        break;
      case '<=':
        out.push(`<${bump}`);
        break;
      case '':
      case '=':
      case '==':
        out.push(`>=${flat}`, `<${bump}`);
        break;
      case '!=':
      case '!':
        // blang ANDs both halves, which no version satisfies; kept as blang has it.
        out.push(`<${flat}`, `>=${bump}`);
        break;
      default:
        return undefined;
    }
  }
  return out;
}
