import { lstat, mkdir, mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { InputError, errorMessage } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { requireTool, run } from '@mantle/core/exec';
import { checkDebugfsArg, ext4List, ext4ReadFile, type PartitionRef } from '@mantle/core/disk';
import { readHeadAndTail } from '@mantle/core/image';
import { readFileInside, resolveInRoot } from '@mantle/core/fs';
import type { SysextFormat } from '../build/formats.js';

// Reading a sysext image without mounting it: squashfs through unsquashfs (-lln lists, -cat
// reads), erofs by extracting it with fsck.erofs into a temp dir (dump.erofs 1.5 has no
// recursive listing), ext4 through debugfs (core's ext4List/ext4ReadFile), btrfs by extracting
// it with `btrfs restore` (btrfs-progs reads the image file in userspace, no mount).

/** One entry of an image, paths relative to the image root (no leading slash). */
export interface ImageEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** permission bits (including setuid/setgid/sticky) */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  target?: string;
}

/** An opened sysext image. */
export interface SysextReader {
  path: string;
  format: SysextFormat;
  size: number;
  list(): Promise<ImageEntry[]>;
  /** a file's bytes, or undefined when it does not exist */
  readFile(path: string): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

/** Detect an image's filesystem from its magic bytes (squashfs, erofs, ext2/3/4, btrfs); InputError (exit 2) otherwise. */
export async function detectSysextFormat(
  path: string,
  what = 'IMAGE',
): Promise<{ format: SysextFormat; size: number }> {
  let head: Buffer;
  let size: number;
  try {
    ({ head, size } = await readHeadAndTail(path, 0x10048));
  } catch (err) {
    throw new InputError({
      code: 'IMAGE_UNREADABLE',
      message: `${what} ${path}: ${errorMessage(err)}`,
      hint: 'pass an existing sysext image (.raw)',
      cause: err,
      details: { file: path },
    });
  }
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'hsqs') return { format: 'squashfs', size };
  if (head.length >= 1028 && head.readUInt32LE(1024) === 0xe0f5e1e2) return { format: 'erofs', size };
  if (head.length >= 1082 && head.readUInt16LE(1080) === 0xef53) return { format: 'ext4', size };
  if (head.length >= 0x10048 && head.toString('latin1', 0x10040, 0x10048) === '_BHRfS_M')
    return { format: 'btrfs', size };
  const gpt = head.length >= 520 && head.toString('latin1', 512, 520) === 'EFI PART';
  throw new InputError({
    code: 'NOT_A_SYSEXT',
    message: `${what} ${path} is not a sysext image (${gpt ? 'it is a partitioned disk image' : 'no squashfs, erofs, ext4 or btrfs superblock'})`,
    hint: gpt
      ? 'pass the .raw extension image itself, not an OS disk'
      : 'pass an image built by bakery create or mkosi (NAME.raw)',
    details: { file: path },
  });
}

/** Open a sysext image for reading. */
export async function openSysext(
  path: string,
  opts: { logger?: Logger; env?: NodeJS.ProcessEnv } = {},
): Promise<SysextReader> {
  const { format, size } = await detectSysextFormat(path);
  const env = opts.env ?? process.env;
  if (format === 'squashfs') return squashfsReader(path, size, opts.logger, env);
  if (format === 'erofs') return erofsReader(path, size, opts.logger, env);
  if (format === 'ext4') return ext4Reader(path, size, opts.logger);
  return btrfsReader(path, size, opts.logger, env);
}

async function squashfsReader(
  path: string,
  size: number,
  logger: Logger | undefined,
  env: NodeJS.ProcessEnv,
): Promise<SysextReader> {
  const unsquashfs = await requireTool('unsquashfs', {
    debianPackage: 'squashfs-tools',
    purpose: 'read squashfs images',
    env,
  });
  let cache: ImageEntry[] | undefined;
  return {
    path,
    format: 'squashfs',
    size,
    list: async () => {
      if (cache) return cache;
      const r = await run(unsquashfs, ['-lln', '-d', '', path], { logger });
      cache = parseUnsquashfsListing(r.stdout);
      return cache;
    },
    readFile: async (p) => {
      const entries =
        cache ??
        (await (async () => (
          (cache = parseUnsquashfsListing(
            (await run(unsquashfs, ['-lln', '-d', '', path], { logger })).stdout,
          )),
          cache
        ))());
      const e = entries.find((x) => x.path === p);
      if (!e || e.type !== 'file') return undefined;
      const r = await run(unsquashfs, ['-cat', path, p.replace(/([*?[\\])/g, '\\$1')], { logger });
      return Buffer.from(r.stdout, 'utf8');
    },
    close: async () => {},
  };
}

/** Parse `unsquashfs -lln -d ''` output into entries. */
export function parseUnsquashfsListing(text: string): ImageEntry[] {
  const out: ImageEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([-dlcbps])([-rwxsStT]{9}) (\d+)\/(\d+)\s+(\S+) \d{4}-\d\d-\d\d \d\d:\d\d (.*)$/.exec(line);
    if (!m) continue;
    let name = m[6]!;
    if (name === '') continue; // the root
    let target: string | undefined;
    if (m[1] === 'l') {
      const i = name.indexOf(' -> ');
      if (i >= 0) {
        target = name.slice(i + 4);
        name = name.slice(0, i);
      }
    }
    const type = m[1] === '-' ? 'file' : m[1] === 'd' ? 'dir' : m[1] === 'l' ? 'symlink' : 'other';
    out.push({
      path: name.replace(/^\//, ''),
      type,
      mode: permBits(m[2]!),
      uid: Number(m[3]),
      gid: Number(m[4]),
      size: /^\d+$/.test(m[5]!) ? Number(m[5]) : 0,
      ...(target !== undefined ? { target } : {}),
    });
  }
  return out;
}

function permBits(s: string): number {
  let mode = 0;
  const bit = (i: number, v: number): void => {
    if (s[i] !== '-' && s[i] !== 'S' && s[i] !== 'T') mode |= v;
  };
  bit(0, 0o400);
  bit(1, 0o200);
  bit(2, 0o100);
  bit(3, 0o040);
  bit(4, 0o020);
  bit(5, 0o010);
  bit(6, 0o004);
  bit(7, 0o002);
  bit(8, 0o001);
  if (s[2] === 's' || s[2] === 'S') mode |= 0o4000;
  if (s[5] === 's' || s[5] === 'S') mode |= 0o2000;
  if (s[8] === 't' || s[8] === 'T') mode |= 0o1000;
  return mode;
}

async function erofsReader(
  path: string,
  size: number,
  logger: Logger | undefined,
  env: NodeJS.ProcessEnv,
): Promise<SysextReader> {
  const fsck = await requireTool('fsck.erofs', {
    debianPackage: 'erofs-utils',
    purpose: 'read erofs images',
    env,
  });
  const asRoot = process.getuid?.() === 0;
  return extractedReader(path, 'erofs', size, (root) =>
    run(fsck, [`--extract=${root}`, ...(asRoot ? ['--preserve'] : ['--preserve-perms']), path], { logger }),
  );
}

async function btrfsReader(
  path: string,
  size: number,
  logger: Logger | undefined,
  env: NodeJS.ProcessEnv,
): Promise<SysextReader> {
  const btrfs = await requireTool('btrfs', {
    debianPackage: 'btrfs-progs',
    purpose: 'read btrfs images',
    env,
  });
  // -S symlinks, -x xattrs; -m (owners, modes, times) needs root to chown: without it the
  // listing shows the invoking user as owner.
  const asRoot = process.getuid?.() === 0;
  return extractedReader(path, 'btrfs', size, async (root) => {
    await mkdir(root);
    await run(btrfs, ['restore', '-S', '-x', ...(asRoot ? ['-m'] : []), path, root], { logger });
  });
}

/** A reader over a copy of the image's tree extracted into a temp dir (removed by close). */
async function extractedReader(
  path: string,
  format: SysextFormat,
  size: number,
  extract: (root: string) => Promise<unknown>,
): Promise<SysextReader> {
  const dir = await mkdtemp(join(tmpdir(), `bakery-${format}-`));
  const root = join(dir, 'root');
  try {
    await extract(root);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let cache: ImageEntry[] | undefined;
  return {
    path,
    format,
    size,
    list: async () => (cache ??= await walkDir(root)),
    // The extracted tree is the image's: its links are resolved inside it, as systemd does with
    // the image as root, and never lead to a host file.
    readFile: async (p) => {
      const real = await resolveInRoot(root, p, { what: `${path}: ${p}` });
      const st = real === undefined ? undefined : await lstat(join(root, real)).catch(() => undefined);
      return st?.isFile() ? readFileInside(root, real!.slice(1), { what: `${path}: ${p}` }) : undefined;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

async function walkDir(root: string): Promise<ImageEntry[]> {
  const out: ImageEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const p = rel ? posix.join(rel, e.name) : e.name;
      const st = await lstat(join(root, p));
      const type = e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'symlink' : e.isFile() ? 'file' : 'other';
      out.push({
        path: p,
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: type === 'dir' ? 0 : st.size,
        ...(type === 'symlink' ? { target: await readlink(join(root, p)) } : {}),
      });
      if (type === 'dir') await walk(p);
    }
  };
  await walk('');
  return out;
}

function ext4Reader(path: string, size: number, logger: Logger | undefined): SysextReader {
  const part: PartitionRef = { image: path, offset: 0, size };
  const lo = logger ? { logger } : {};
  let cache: ImageEntry[] | undefined;
  return {
    path,
    format: 'ext4',
    size,
    list: async () => {
      if (cache) return cache;
      const out: ImageEntry[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const e of (await ext4List(part, dir, lo)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
          const rel = e.path.replace(/^\//, '');
          if (rel === 'lost+found') continue;
          const entry: ImageEntry = {
            path: rel,
            type: e.type,
            mode: e.mode & 0o7777,
            uid: e.uid,
            gid: e.gid,
            size: e.type === 'dir' ? 0 : e.size,
          };
          out.push(entry);
          if (e.type === 'dir') await walk(e.path);
        }
      };
      await walk('/');
      await ext4LinkTargets(
        path,
        out.filter((e) => e.type === 'symlink'),
        part,
        logger,
      );
      cache = out;
      return out;
    },
    readFile: async (p) => {
      if (cache) {
        const e = cache.find((x) => x.path === p);
        if (!e || e.type !== 'file') return undefined;
      }
      try {
        return await ext4ReadFile(part, '/' + p, lo);
      } catch (err) {
        if (err instanceof InputError && err.code === 'FS_NOT_FOUND') return undefined;
        throw err;
      }
    },
    close: async () => {},
  };
}

// debugfs `dump` cannot read a fast symlink (target kept in the inode): `stat` prints it instead,
// all symlinks in one debugfs run; slow symlinks (long targets) are dumped like files.
async function ext4LinkTargets(
  image: string,
  links: ImageEntry[],
  part: PartitionRef,
  logger: Logger | undefined,
): Promise<void> {
  if (links.length === 0) return;
  const debugfs = await requireTool('debugfs', { debianPackage: 'e2fsprogs', purpose: 'read ext4 images' });
  const dir = await mkdtemp(join(tmpdir(), 'bakery-ext4-'));
  try {
    const cmds = join(dir, 'cmds');
    // Names come from the image: one with a quote or newline would inject debugfs commands.
    await writeFile(
      cmds,
      links.map((l) => `stat "/${checkDebugfsArg(l.path, `symlink in ${image}`)}"`).join('\n') + '\n',
    );
    const r = await run(debugfs, ['-f', cmds, image], { logger });
    const chunks = r.stdout.split(/^debugfs: /m).slice(1);
    for (let i = 0; i < links.length; i++) {
      const m = /Fast link dest: "(.*)"/.exec(chunks[i] ?? '');
      if (m) links[i]!.target = m[1]!;
      else
        links[i]!.target = (
          await ext4ReadFile(part, '/' + links[i]!.path, logger ? { logger } : {}).catch(() =>
            Buffer.alloc(0),
          )
        ).toString('utf8');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
