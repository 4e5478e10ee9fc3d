// Shared by the hostile-input suites: a decoy directory standing for "the host" (files an attack
// would read, overwrite, chmod or create next to), a snapshot of it (contents, modes, owners)
// to compare before and after, and a tar writer that makes the archives GNU tar refuses to
// create (absolute and .. names, members below a symlink, devices, FIFOs, setuid bits).
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { BinResult } from './helpers.js';

/** Make DIR/decoy: a secret (0600), a config (0644), an executable (0755) and a subdirectory. */
export async function makeDecoy(dir: string): Promise<string> {
  const d = join(dir, 'decoy');
  await mkdir(join(d, 'sub'), { recursive: true });
  await writeFile(join(d, 'secret.txt'), 'host secret: do not read\n');
  await chmod(join(d, 'secret.txt'), 0o600);
  await writeFile(join(d, 'keep.conf'), 'host config: do not overwrite\n');
  await chmod(join(d, 'keep.conf'), 0o644);
  await writeFile(join(d, 'tool'), '#!/bin/sh\necho host tool\n');
  await chmod(join(d, 'tool'), 0o755);
  await writeFile(join(d, 'sub/nested'), 'nested\n');
  return d;
}

/** Every entry below `dir` with its type, mode, owner, size and content hash (or link target). */
export async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const p = rel ? join(dir, rel) : dir;
    const st = await lstat(p);
    const head = `${rel || '.'} ${(st.mode & 0o177777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      out.push(head);
      for (const e of (await readdir(p)).sort()) await walk(rel ? `${rel}/${e}` : e);
    } else if (st.isSymbolicLink()) out.push(`${head} -> ${await readlink(p)}`);
    else if (st.isFile())
      out.push(
        `${head} ${st.size} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`,
      );
    else out.push(`${head} special`);
  };
  await walk('');
  return out;
}

/** A refusal as the issue asks for it: exit 2 and the offending entry named on stderr. */
export function expectRefused(r: BinResult, ...named: (string | RegExp)[]): void {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(2);
  for (const n of named) {
    if (typeof n === 'string') expect(r.stderr).toContain(n);
    else expect(r.stderr).toMatch(n);
  }
}

/** One member of a hand-made tar archive. */
export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  content?: string;
  mode?: number;
  /** symlink or hard-link target */
  link?: string;
  major?: number;
  minor?: number;
}

const TYPEFLAG: Record<TarEntry['type'], string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** A ustar archive of `entries`, written byte by byte (names and types exactly as given). */
export function ustar(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.type === 'file' ? (e.content ?? '') : '');
    const h = Buffer.alloc(512);
    const put = (off: number, len: number, s: string): void => void h.write(s, off, len, 'utf8');
    const oct = (off: number, len: number, n: number): void =>
      put(off, len, n.toString(8).padStart(len - 1, '0') + '\0');
    put(0, 100, e.name);
    oct(100, 8, e.mode ?? (e.type === 'dir' ? 0o755 : 0o644));
    oct(108, 8, 0);
    oct(116, 8, 0);
    oct(124, 12, body.length);
    oct(136, 12, 1_700_000_000);
    put(148, 8, '        ');
    put(156, 1, TYPEFLAG[e.type]);
    put(157, 100, e.link ?? '');
    put(257, 6, 'ustar\0');
    put(263, 2, '00');
    put(265, 32, 'root');
    put(297, 32, 'root');
    oct(329, 8, e.major ?? 0);
    oct(337, 8, e.minor ?? 0);
    let sum = 0;
    for (const b of h) sum += b;
    put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
