import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { run } from '@mantle/core/exec';
import { FsErrorCode, splitRelative, UnsafePathError } from '@mantle/core/fs';

// A downloaded archive is checked from its listing before tar extracts a byte of it (bakery may
// run as root, where tar would create device nodes and could be led through a link it extracted
// itself): no absolute names and no `..` (GNU tar would strip or skip them; we refuse them), no
// device nodes, FIFOs or other special members, no member reached through a symlink member, and
// hard links only to members of the archive. Symlinks themselves are fine: they are extracted and
// copied as links, never followed.

/** One member of a tar archive as `tar -tv --quoting-style=c --numeric-owner` lists it. */
export interface TarMember {
  /** `-` file, `d` directory, `l` symlink, `h` hard link, `c`/`b` devices, `p` FIFO, ... */
  type: string;
  /** the name with `./` and a trailing `/` taken off */
  name: string;
  /** symlink or hard-link target */
  target?: string;
}

const LINE =
  /^(\S)(\S{9})\s+(\d+)\/(\d+)\s+(\S+)\s+\d{4}-\d\d-\d\d\s+\d\d:\d\d(?::\d\d)?\s+"((?:[^"\\]|\\.)*)"(?:\s+(->|link to)\s+"((?:[^"\\]|\\.)*)")?$/;

const TYPE_NAMES: Record<string, string> = {
  c: 'a character device',
  b: 'a block device',
  p: 'a FIFO',
  s: 'a socket',
};

/** Parse a `tar -tv --quoting-style=c --numeric-owner` listing. */
export function parseTarListing(text: string, what: string): TarMember[] {
  const out: TarMember[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) {
      throw new InputError({
        code: 'RECIPE_ARCHIVE_UNREADABLE',
        message: `${what}: cannot read the archive listing line ${JSON.stringify(line)}`,
        hint: 'the archive uses a tar feature bakery does not take; check the download',
        details: { what, line },
      });
    }
    out.push({
      type: m[1]!,
      name: cUnquote(m[6]!)
        .replace(/^(\.\/)+/, '')
        .replace(/\/+$/, ''),
      ...(m[8] !== undefined ? { target: cUnquote(m[8]) } : {}),
    });
  }
  return out;
}

/** Refuse an archive whose members would leave the extraction directory or are not files, directories or links. */
export function checkTarMembers(members: readonly TarMember[], what: string): void {
  const links = new Set<string>();
  for (const m of members) {
    const entry = `${what}: archive member`;
    if (m.name === '' || m.name === '.') continue;
    splitRelative(m.name, entry);
    if (m.type === 'l') links.add(m.name);
    else if (m.type === 'h') splitRelative(m.target ?? '', `${entry} ${m.name} (hard link target)`);
    else if (m.type !== '-' && m.type !== 'd') {
      throw new UnsafePathError({
        code: FsErrorCode.Special,
        message: `${what}: archive member ${m.name} is ${TYPE_NAMES[m.type] ?? `of type '${m.type}'`}; recipes take files, directories and links only`,
        hint: 'the download is not what the recipe expects; check its source',
        details: { what, path: m.name, type: m.type },
      });
    }
  }
  for (const m of members) {
    for (const p of [m.name, ...(m.type === 'h' && m.target ? [m.target] : [])]) {
      const parts = p.replace(/^(\.\/)+/, '').split('/');
      for (let i = 1; i < parts.length; i++) {
        const prefix = parts.slice(0, i).join('/');
        if (links.has(prefix)) {
          throw new UnsafePathError({
            code: FsErrorCode.Symlink,
            message: `${what}: archive member ${m.name}${p !== m.name ? ` (hard link to ${p})` : ''} lies below ${prefix}, which is a symbolic link in the archive`,
            hint: 'an archive that extracts through its own links can write anywhere; the download is not what the recipe expects',
            details: { what, path: m.name, entry: prefix },
          });
        }
      }
    }
  }
}

/** List an archive with tar and check its members (see checkTarMembers). */
export async function checkArchive(
  tar: string,
  file: string,
  what: string,
  opts: { logger?: Logger | undefined; signal?: AbortSignal | undefined } = {},
): Promise<TarMember[]> {
  // -P: list names and link targets as stored; without it tar strips a leading / and hides it.
  const r = await run(tar, ['--quoting-style=c', '--numeric-owner', '-P', '-tvf', file], {
    logger: opts.logger,
    signal: opts.signal,
    reject: false,
  });
  if (r.exitCode !== 0) {
    throw new InputError({
      code: 'RECIPE_ARCHIVE_UNREADABLE',
      message: `${what} is not a tar archive tar can read: ${r.stderr.trim().split('\n').slice(-2).join('; ')}`,
      hint: 'set extract: file in the recipe when the download is not an archive',
      details: { what },
    });
  }
  const members = parseTarListing(r.stdout, what);
  checkTarMembers(members, what);
  return members;
}

// GNU tar's c quoting: \\ \" \n \t ... and \ooo octal bytes.
function cUnquote(s: string): string {
  const bytes: number[] = [];
  const simple: Record<string, number> = {
    n: 10,
    t: 9,
    r: 13,
    a: 7,
    b: 8,
    f: 12,
    v: 11,
    '\\': 92,
    '"': 34,
    '?': 63,
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = s[i + 1] ?? '';
    const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1))?.[0];
    if (oct) {
      bytes.push(parseInt(oct, 8) & 0xff);
      i += oct.length;
    } else {
      bytes.push(simple[n] ?? n.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
