import { constants, type Stats } from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  realpath,
  symlink,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { FsErrorCode, UnsafePathError } from './errors.js';
import { checkNoControlChars, splitRelative } from './names.js';

// The one place where a path that comes from a file, an archive, the network or image metadata is
// turned into a host path. The path is walked component by component with lstat: no `..`, no
// absolute path, and no step through a symbolic link on any component (a string prefix test
// cannot see a link in the middle). Files are then opened with O_NOFOLLOW, and the descriptor is
// checked against the root through /proc/self/fd, so a tree that changes between the check and
// the open is caught instead of followed. Nothing here ever creates over an existing entry:
// writes make a new directory entry (O_EXCL), so a hard link in the tree is never written through.

export interface ResolveInsideOptions {
  /** names the path in messages: the field, flag or archive entry it came from */
  what: string;
  /** the last component may be a symbolic link: it is returned (lstat), never followed */
  allowFinalSymlink?: boolean;
  /** false: a missing path (or parent) gives `stat: undefined` instead of an error */
  mustExist?: boolean;
}

/** A path checked to lie inside a root. */
export interface InsidePath {
  /** the host path: the root joined with the checked components */
  path: string;
  /** the components below the root joined with '/' ('' is the root itself) */
  rel: string;
  /** lstat of the path; undefined when it (or one of its parents) does not exist */
  stat: Stats | undefined;
}

const O_NOFOLLOW = constants.O_NOFOLLOW;
const O_NONBLOCK = constants.O_NONBLOCK;

/** Resolve `rel` inside `root` without following any symbolic link; UnsafePathError (exit 2) names the entry. */
export async function resolveInside(
  root: string,
  rel: string,
  opts: ResolveInsideOptions,
): Promise<InsidePath> {
  const parts = splitRelative(rel, opts.what);
  let cur = root;
  let st = await lstatMaybe(root);
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]!);
    const last = i === parts.length - 1;
    st = await lstatMaybe(cur);
    if (!st) {
      if (opts.mustExist === false)
        return { path: join(root, ...parts), rel: parts.join('/'), stat: undefined };
      throw new UnsafePathError({
        code: FsErrorCode.NotFound,
        message: `${opts.what}: ${shown(parts)} does not exist${i < parts.length - 1 ? ` (${shown(parts.slice(0, i + 1))} is missing)` : ''}`,
        hint: 'check the path against the contents of the tree or archive',
        details: { what: opts.what, path: parts.join('/') },
      });
    }
    if (st.isSymbolicLink()) {
      if (last && opts.allowFinalSymlink) break;
      throw await symlinkError(cur, parts, i, opts.what);
    }
    if (!last && !st.isDirectory()) {
      throw new UnsafePathError({
        code: FsErrorCode.NotDir,
        message: `${opts.what}: ${shown(parts)}: ${shown(parts.slice(0, i + 1))} is ${fileKind(st)}, not a directory`,
        hint: 'check the path against the contents of the tree or archive',
        details: { what: opts.what, path: parts.join('/'), entry: parts.slice(0, i + 1).join('/') },
      });
    }
  }
  return { path: cur, rel: parts.join('/'), stat: st };
}

/** Open a regular file inside `root` for reading (no symlink on any component, no device, FIFO or socket). */
export async function openInside(root: string, rel: string, opts: { what: string }): Promise<FileHandle> {
  const ip = await resolveInside(root, rel, { what: opts.what });
  if (!ip.stat!.isFile()) throw notAFile(ip, opts.what);
  return openChecked(root, ip, constants.O_RDONLY, opts.what);
}

/** Read a regular file inside `root` (see openInside). */
export async function readFileInside(root: string, rel: string, opts: { what: string }): Promise<Buffer> {
  const fh = await openInside(root, rel, opts);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** Create the directory `rel` and its missing parents inside `root`; an existing symlink or file on the way is refused. */
export async function mkdirInside(
  root: string,
  rel: string,
  opts: { what: string; mode?: number },
): Promise<string> {
  const parts = splitRelative(rel, opts.what);
  let cur = root;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]!);
    let st = await lstatMaybe(cur);
    if (!st) {
      // mkdir never follows a link at the last component: a link made meanwhile gives EEXIST.
      await mkdir(cur, opts.mode ?? 0o755).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      st = await lstat(cur);
    }
    if (st.isSymbolicLink()) throw await symlinkError(cur, parts, i, opts.what);
    if (!st.isDirectory()) {
      throw new UnsafePathError({
        code: FsErrorCode.NotDir,
        message: `${opts.what}: ${shown(parts)}: ${shown(parts.slice(0, i + 1))} is ${fileKind(st)}, not a directory`,
        hint: 'two entries want the same path; fix the one that makes it a file',
        details: { what: opts.what, path: parts.join('/'), entry: parts.slice(0, i + 1).join('/') },
      });
    }
  }
  return cur;
}

export interface WriteInsideOptions {
  what: string;
  /** permission bits, set exactly (umask does not apply); default 0644 */
  mode?: number;
  /** an existing file or symlink at `rel` is removed first (never written through); default: PATH_EXISTS */
  replace?: boolean;
}

/** Write a new file inside `root` (parents created without following links; O_EXCL|O_NOFOLLOW). */
export async function writeFileInside(
  root: string,
  rel: string,
  data: string | Uint8Array,
  opts: WriteInsideOptions,
): Promise<string> {
  const fh = await createInside(root, rel, opts);
  try {
    await fh.handle.writeFile(data);
  } finally {
    await fh.handle.close();
  }
  return fh.path;
}

/** Create a symbolic link inside `root` (parents created without following links); the target is stored as given. */
export async function symlinkInside(
  root: string,
  rel: string,
  target: string,
  opts: { what: string; replace?: boolean },
): Promise<string> {
  checkNoControlChars(target, `${opts.what} (link target)`);
  const { dir, name, parts } = await parentInside(root, rel, opts.what);
  const path = join(dir, name);
  if (opts.replace) await removeNonDir(path, parts, opts.what);
  try {
    await symlink(target, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(parts, opts.what);
    throw err;
  }
  return path;
}

/**
 * Set the permission bits of `rel` inside `root` without following links: a symlink is left
 * alone (its mode means nothing; false is returned), a device, FIFO or socket is refused.
 */
export async function chmodInside(
  root: string,
  rel: string,
  mode: number,
  opts: { what: string },
): Promise<boolean> {
  const ip = await resolveInside(root, rel, { what: opts.what, allowFinalSymlink: true });
  return chmodChecked(root, ip, mode, opts.what);
}

export interface CopyInsideOptions {
  /** names the source in messages (e.g. the recipe field) */
  what: string;
  /** replace existing files and symlinks at the destination (directories are merged); default: PATH_EXISTS */
  replace?: boolean;
}

/** What a copy made. */
export interface CopyStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
}

/**
 * Copy `srcRel` of `srcRoot` (a file, a symlink or a whole directory) to `destRel` of `destRoot`.
 * Symlinks are copied as symlinks and never followed, on the way in or out; device nodes, FIFOs
 * and sockets are refused naming the entry (they are never opened); hard links become separate
 * files; permission bits are kept (setuid included: the caller's checks decide about those).
 */
export async function copyInside(
  srcRoot: string,
  srcRel: string,
  destRoot: string,
  destRel: string,
  opts: CopyInsideOptions,
): Promise<CopyStats> {
  const src = await resolveInside(srcRoot, srcRel, { what: opts.what, allowFinalSymlink: true });
  const stats: CopyStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  await copyEntry(srcRoot, src, destRoot, splitRelative(destRel, opts.what).join('/'), opts, stats);
  return stats;
}

async function copyEntry(
  srcRoot: string,
  src: InsidePath,
  destRoot: string,
  destRel: string,
  opts: CopyInsideOptions,
  stats: CopyStats,
): Promise<void> {
  const st = src.stat!;
  const what = `${opts.what}: ${src.rel || '.'}`;
  if (st.isSymbolicLink()) {
    const target = await readlink(src.path);
    await symlinkInside(destRoot, destRel, target, { what, replace: opts.replace ?? false });
    stats.symlinks++;
  } else if (st.isDirectory()) {
    await mkdirInside(destRoot, destRel, { what });
    for (const name of (await readdir(src.path)).sort()) {
      const childRel = src.rel ? `${src.rel}/${name}` : name;
      const child = await resolveInside(srcRoot, childRel, { what: opts.what, allowFinalSymlink: true });
      await copyEntry(srcRoot, child, destRoot, destRel ? `${destRel}/${name}` : name, opts, stats);
    }
    await chmodChecked(destRoot, await resolveInside(destRoot, destRel, { what }), st.mode & 0o7777, what);
    stats.dirs++;
  } else if (st.isFile()) {
    const from = await openChecked(srcRoot, src, constants.O_RDONLY, opts.what);
    try {
      const to = await createInside(destRoot, destRel, {
        what,
        mode: st.mode & 0o7777,
        replace: opts.replace ?? false,
      });
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (;;) {
          const { bytesRead } = await from.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          let off = 0;
          while (off < bytesRead) off += (await to.handle.write(buf, off, bytesRead - off)).bytesWritten;
          stats.bytes += bytesRead;
        }
      } finally {
        await to.handle.close();
      }
    } finally {
      await from.close();
    }
    stats.files++;
  } else {
    throw specialError(src, opts.what);
  }
}

/** lstat that answers undefined for a missing path. */
async function lstatMaybe(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function parentInside(
  root: string,
  rel: string,
  what: string,
): Promise<{ dir: string; name: string; parts: string[] }> {
  const parts = splitRelative(rel, what);
  if (parts.length === 0) {
    throw new UnsafePathError({
      code: FsErrorCode.Empty,
      message: `${what}: ${JSON.stringify(rel)} names the root of the tree, not a file in it`,
      hint: 'give a file path below the root',
      details: { what, value: rel },
    });
  }
  const dir = await mkdirInside(root, parts.slice(0, -1).join('/'), { what });
  return { dir, name: parts[parts.length - 1]!, parts };
}

async function removeNonDir(path: string, parts: string[], what: string): Promise<void> {
  const st = await lstatMaybe(path);
  if (!st) return;
  if (st.isDirectory()) throw existsError(parts, what, 'a directory');
  await unlink(path);
}

async function createInside(
  root: string,
  rel: string,
  opts: WriteInsideOptions,
): Promise<{ handle: FileHandle; path: string }> {
  const { dir, name, parts } = await parentInside(root, rel, opts.what);
  const path = join(dir, name);
  if (opts.replace) await removeNonDir(path, parts, opts.what);
  const mode = opts.mode ?? 0o644;
  let handle: FileHandle;
  try {
    handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW,
      mode & 0o777,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(parts, opts.what);
    throw err;
  }
  try {
    await assertFdInside(handle, root, parts.join('/'), opts.what, true);
    // open() applies the umask and never sets setuid bits: set the exact mode on the descriptor.
    await handle.chmod(mode);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return { handle, path };
}

async function openChecked(root: string, ip: InsidePath, flags: number, what: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(ip.path, flags | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw changedError(ip, what);
    throw err;
  }
  try {
    const st = await fh.stat();
    if (ip.stat && (st.ino !== ip.stat.ino || st.dev !== ip.stat.dev)) throw changedError(ip, what);
    await assertFdInside(fh, root, ip.rel, what, false);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

async function chmodChecked(root: string, ip: InsidePath, mode: number, what: string): Promise<boolean> {
  const st = ip.stat!;
  if (st.isSymbolicLink()) return false;
  if (!st.isFile() && !st.isDirectory()) throw specialError(ip, what);
  // No lchmod on Linux: open the entry itself (O_NOFOLLOW, O_NONBLOCK so a FIFO swapped in cannot
  // block) and change the mode through the descriptor.
  const fh = await openChecked(
    root,
    ip,
    constants.O_RDONLY | (st.isDirectory() ? constants.O_DIRECTORY : 0),
    what,
  );
  try {
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
  return true;
}

// The kernel's own answer to "which file is this descriptor": catches a parent directory that was
// swapped for a symlink between the lstat walk and the open.
async function assertFdInside(
  fh: FileHandle,
  root: string,
  rel: string,
  what: string,
  created: boolean,
): Promise<void> {
  let actual: string;
  try {
    actual = await readlink(`/proc/self/fd/${fh.fd}`);
  } catch {
    return; // no /proc: the lstat walk is all there is
  }
  const base = await realpath(root);
  const expected = rel === '' ? base : join(base, rel);
  if (actual === expected) return;
  if (created) await unlink(actual).catch(() => {});
  throw new UnsafePathError({
    code: FsErrorCode.Escaped,
    message: `${what}: ${rel} resolved to ${actual}, outside ${base}: the tree changed while it was being read`,
    hint: 'make sure nothing else modifies the tree during the build',
    details: { what, path: rel, actual },
  });
}

async function symlinkError(cur: string, parts: string[], i: number, what: string): Promise<UnsafePathError> {
  const target = await readlink(cur).catch(() => '?');
  const entry = shown(parts.slice(0, i + 1));
  const whole = shown(parts);
  return new UnsafePathError({
    code: FsErrorCode.Symlink,
    message:
      entry === whole
        ? `${what}: ${entry} is a symbolic link (to ${target}); links are never followed here`
        : `${what}: ${whole}: ${entry} is a symbolic link (to ${target}); paths are never followed through links`,
    hint: 'use the real path inside the tree or archive; a link may point anywhere on the host',
    details: { what, path: parts.join('/'), entry: parts.slice(0, i + 1).join('/'), target },
  });
}

function existsError(parts: string[], what: string, as = 'an entry'): UnsafePathError {
  return new UnsafePathError({
    code: FsErrorCode.Exists,
    message: `${what}: ${shown(parts)} already exists (${as}); nothing is written over an existing entry`,
    hint: 'two entries want the same path (a link and a file, or the same file twice): keep one',
    details: { what, path: parts.join('/') },
  });
}

function notAFile(ip: InsidePath, what: string): UnsafePathError {
  if (!ip.stat!.isDirectory()) return specialError(ip, what);
  return new UnsafePathError({
    code: FsErrorCode.NotDir,
    message: `${what}: ${ip.rel || '.'} is a directory, not a file`,
    hint: 'give the path of a regular file',
    details: { what, path: ip.rel },
  });
}

function specialError(ip: InsidePath, what: string): UnsafePathError {
  return new UnsafePathError({
    code: FsErrorCode.Special,
    message: `${what}: ${ip.rel || '.'} is ${fileKind(ip.stat!)}; only files, directories and symlinks are taken (it was not opened)`,
    hint: 'remove it from the archive or tree',
    details: { what, path: ip.rel, type: fileKind(ip.stat!) },
  });
}

function changedError(ip: InsidePath, what: string): UnsafePathError {
  return new UnsafePathError({
    code: FsErrorCode.Escaped,
    message: `${what}: ${ip.rel} changed between the check and the open (now a link or another file)`,
    hint: 'make sure nothing else modifies the tree during the build',
    details: { what, path: ip.rel },
  });
}

/** A file type in words, for messages. */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'an unknown file type';
}

function shown(parts: string[]): string {
  return parts.length === 0 ? '.' : parts.join('/');
}
