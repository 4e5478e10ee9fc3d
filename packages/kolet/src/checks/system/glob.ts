import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

// File name patterns as goss expands `gossfile` keys (Go's filepath.Glob): `*` any run of
// characters but '/', `?` one such character, `[a-z]`/`[^a-z]` a class, `\` escapes. No `**`.
// Node 20 has no fs.glob, and these few rules need no dependency.

/** Whether a path has any pattern characters at all. */
export function hasGlobMagic(path: string): boolean {
  return /[*?[\\]/.test(path);
}

/** A pattern's problem (Go's ErrBadPattern), or undefined when it is well formed. */
export function globPatternProblem(pattern: string): string | undefined {
  for (const seg of pattern.split('/')) {
    try {
      segmentRegex(seg);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

/**
 * The existing paths an absolute pattern matches, sorted within each directory (as Go returns
 * them). A pattern without magic characters matches itself when it exists. Unreadable
 * directories match nothing, as in Go.
 */
export async function globPaths(pattern: string): Promise<string[]> {
  if (!pattern.startsWith('/')) throw new Error(`globPaths: ${pattern} is not absolute`);
  const segs = pattern.split('/').filter((s) => s !== '');
  let current = ['/'];
  for (const [i, seg] of segs.entries()) {
    const last = i === segs.length - 1;
    const next: string[] = [];
    if (!hasGlobMagic(seg)) {
      for (const dir of current) next.push(join(dir, seg));
    } else {
      const re = segmentRegex(seg);
      for (const dir of current) {
        let names: string[];
        try {
          names = await readdir(dir);
        } catch {
          continue;
        }
        for (const name of names.sort()) if (re.test(name)) next.push(join(dir, name));
      }
    }
    current = last ? next : await onlyDirectories(next);
  }
  const out: string[] = [];
  for (const p of current) if (await exists(p)) out.push(p);
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function onlyDirectories(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    try {
      // stat follows symlinks to directories, and so does Go's Glob
      if ((await stat(p)).isDirectory()) out.push(p);
    } catch {
      // not a directory, or gone
    }
  }
  return out;
}

/** One path segment's pattern as an anchored RegExp; throws on a malformed class or escape. */
function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      const n = seg[++i];
      if (n === undefined) throw new Error(`bad pattern ${seg}: it ends with a backslash`);
      re += escapeRe(n);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (seg[j] === '^') {
        cls += '^';
        j++;
      }
      let items = 0;
      for (; j < seg.length && (seg[j] !== ']' || items === 0); j++) {
        let ch = seg[j] as string;
        if (ch === '\\') {
          const n = seg[++j];
          if (n === undefined) throw new Error(`bad pattern ${seg}: it ends with a backslash`);
          ch = n;
        }
        if (ch === '-' && items > 0 && seg[j + 1] !== ']' && seg[j + 1] !== undefined) {
          cls += '-';
          continue;
        }
        cls += escapeClass(ch);
        items++;
      }
      if (seg[j] !== ']') throw new Error(`bad pattern ${seg}: [ without ]`);
      re += `[${cls}]`;
      i = j;
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(`^${re}$`, 'su');
  } catch {
    throw new Error(`bad pattern ${seg}`);
  }
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function escapeClass(c: string): string {
  return /[\]\\^-]/.test(c) ? `\\${c}` : c;
}
