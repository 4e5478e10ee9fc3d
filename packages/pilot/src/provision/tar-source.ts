// Tar streams for provisioning: an include archive (decompressed by its magic bytes: gzip,
// bzip2, xz, zstd or none) or host paths packed by tar. The streams are raw tar, so tar-check.ts
// can read every header before the extractor sees it.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { finish, start, type Captured } from '../launch/capture.js';

/** A tar stream and how to learn whether its producer succeeded. */
export interface TarSource {
  stream: Readable;
  /** resolves when the producing process (if any) ended; a non-zero code means a broken archive */
  done: Promise<Captured | undefined>;
}

function magic(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(6);
    const n = readSync(fd, b, 0, 6, 0);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const DECOMPRESSORS: { magic: number[]; command: string }[] = [
  { magic: [0x42, 0x5a, 0x68], command: 'bzip2' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], command: 'xz' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], command: 'zstd' },
];

/** The tar stream inside an include archive file. */
export function archiveSource(path: string, env: NodeJS.ProcessEnv): TarSource {
  const head = magic(path);
  if (head[0] === 0x1f && head[1] === 0x8b)
    return { stream: createReadStream(path).pipe(createGunzip()), done: Promise.resolve(undefined) };
  const dec = DECOMPRESSORS.find((d) => d.magic.every((m, i) => head[i] === m));
  if (!dec) return { stream: createReadStream(path), done: Promise.resolve(undefined) };
  const inv = { command: dec.command, args: ['-dc'], env };
  const child = start(inv, createReadStream(path));
  return { stream: child.stdout!, done: finish(child, inv, false) };
}

// GNU tar --transform is sed-like: escape what a basic regex or its replacement would read.
const bre = (s: string): string => s.replace(/[\\.[\]*^$,]/g, (c) => `\\${c}`);
const repl = (s: string): string => s.replace(/[\\&,]/g, (c) => `\\${c}`);

/**
 * Host paths (absolute, as the flake writes them) packed by GNU tar. Each is resolved inside
 * `root` the way the kernel would after a chroot (core's resolveInRoot): a symlink on the way is
 * followed but never out of the root. A path that resolved elsewhere is packed from there and
 * named in the archive as the flake wrote it. Missing paths are skipped when `ignoreMissing`
 * (the caller checked them otherwise).
 */
export async function hostPathsSource(
  root: string,
  paths: readonly string[],
  env: NodeJS.ProcessEnv,
  ignoreMissing: boolean,
): Promise<TarSource> {
  const { resolveInRoot } = await import('@mantle/core/fs');
  const rels: string[] = [];
  const transforms: string[] = [];
  for (const p of paths) {
    const resolved = await resolveInRoot(root, p, { what: p });
    if (!resolved || resolved === '/') continue;
    const rel = resolved.slice(1);
    const want = p.replace(/^\/+/, '').replace(/\/+$/, '');
    rels.push(rel);
    // S: symlink targets stay as they are
    if (rel !== want) transforms.push(`--transform=s,^${bre(rel)}\\(/\\|$\\),${repl(want)}\\1,S`);
  }
  if (rels.length === 0)
    return { stream: Readable.from([Buffer.alloc(1024)]), done: Promise.resolve(undefined) };
  const inv = {
    command: 'tar',
    args: [
      '-C',
      root,
      '-cf',
      '-',
      ...(ignoreMissing ? ['--ignore-failed-read'] : []),
      // a renamed tree: no hard links whose targets another rename could change
      ...(transforms.length ? ['--hard-dereference', ...transforms] : []),
      '--',
      ...rels,
    ],
    env,
  };
  const child = start(inv);
  return { stream: child.stdout!, done: finish(child, inv, false) };
}
