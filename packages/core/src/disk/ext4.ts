import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InputError, OperationError } from '../errors/mantle-error.js';
import { ExecError } from '../exec/exec-error.js';
import { requireTool } from '../exec/require-tool.js';
import { hasControlChars } from '../fs/names.js';
import { run } from '../exec/run.js';
import type { Logger } from '../log/logger.js';
import { withTempDir, withToolPath, type PartitionRef } from './partition-ref.js';

// ext2/ext4 without root: mke2fs builds the filesystem (optionally populated from a directory with
// -d) straight into the image at the partition offset (-E offset=BYTES), and debugfs reads and
// changes it through the unix_io option syntax `IMAGE?offset=BYTES`, so no partition is ever
// extracted and copied back (that would cost a full copy of a multi-GiB ROOT per change).

export interface Ext4FormatOptions {
  /** ext4 (default) or ext2 */
  fsType?: 'ext4' | 'ext2';
  label?: string;
  /** populate from this directory (mke2fs -d) */
  fromDir?: string;
  /** filesystem block size; default 4096 */
  blockSize?: number;
  /** filesystem UUID; random when omitted */
  uuid?: string;
  /** owner of the root directory; default 0:0 */
  rootOwner?: string;
  /** filesystem size in blocks; default: the whole partition */
  blocks?: number;
  logger?: Logger;
}

/** Make an ext4/ext2 filesystem in a partition, optionally filled from a directory. */
export async function formatExt4(part: PartitionRef, opts: Ext4FormatOptions = {}): Promise<void> {
  const mke2fs = await e2tool('mke2fs');
  const blockSize = opts.blockSize ?? 4096;
  const blocks = opts.blocks ?? Math.floor(part.size / blockSize);
  if (blocks * blockSize > part.size || blocks < 16) {
    throw new InputError({
      code: 'FS_BAD_PARTITION',
      message: `${part.image}: an ext filesystem of ${blocks} blocks of ${blockSize} bytes does not fit partition ${part.label ?? part.number ?? ''} (${part.size} bytes)`,
      hint: 'use a larger partition or fewer blocks',
    });
  }
  if (opts.label !== undefined && Buffer.byteLength(opts.label) > 16) {
    throw new InputError({
      code: 'FS_BAD_LABEL',
      message: `ext4 label ${JSON.stringify(opts.label)} is longer than 16 bytes`,
      hint: 'shorten the label',
    });
  }
  if (opts.fromDir) {
    const st = await stat(opts.fromDir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new InputError({
        code: 'FS_SOURCE_NOT_DIR',
        message: `${opts.fromDir} is not a directory`,
        hint: 'pass the directory whose contents go into the filesystem',
        details: { dir: opts.fromDir },
      });
    }
  }
  const ext = [`offset=${part.offset}`, `root_owner=${opts.rootOwner ?? '0:0'}`];
  const args = ['-q', '-F', '-t', opts.fsType ?? 'ext4', '-b', String(blockSize), '-E', ext.join(',')];
  if (opts.label) args.push('-L', opts.label);
  if (opts.uuid) args.push('-U', opts.uuid);
  if (opts.fromDir) args.push('-d', opts.fromDir);
  await withToolPath(part.image, (img) =>
    run(mke2fs, [...args, img, String(blocks)], { logger: opts.logger, timeoutMs: 600_000 }),
  );
}

/** Read one file from an ext2/3/4 partition (binary-safe). FS_NOT_FOUND (exit 2) when missing. */
export async function ext4ReadFile(
  part: PartitionRef,
  path: string,
  opts: { logger?: Logger } = {},
): Promise<Buffer> {
  const p = checkPath(path);
  return withTempDir('mantle-ext4-', async (dir) => {
    const out = join(dir, 'out');
    await debugfs(part, [`dump ${q(p)} ${q(checkDebugfsArg(out, 'temp file'))}`], {
      write: false,
      logger: opts.logger,
      what: p,
    });
    return readFile(out);
  });
}

/** One directory entry of an ext filesystem. */
export interface Ext4Entry {
  name: string;
  path: string;
  inode: number;
  /** full st_mode (type and permission bits) */
  mode: number;
  type: 'file' | 'dir' | 'symlink' | 'other';
  uid: number;
  gid: number;
  size: number;
}

/** List a directory of an ext2/3/4 partition. */
export async function ext4List(
  part: PartitionRef,
  dir = '/',
  opts: { logger?: Logger } = {},
): Promise<Ext4Entry[]> {
  const p = checkPath(dir);
  const out = await debugfs(part, [`ls -p ${q(p)}`], { write: false, logger: opts.logger, what: p });
  const entries: Ext4Entry[] = [];
  // `ls -p` lines: /inode/mode/uid/gid/name/size/ (names may contain '/'-free anything)
  for (const line of out.split('\n')) {
    const m = /^\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/(.*)\/(\d*)\/$/.exec(line);
    if (!m) continue;
    const name = m[5]!;
    if (name === '.' || name === '..') continue;
    const mode = parseInt(m[2]!, 8);
    entries.push({
      name,
      path: posix.join(p, name),
      inode: Number(m[1]),
      mode,
      type: modeType(mode),
      uid: Number(m[3]),
      gid: Number(m[4]),
      size: m[6] === '' ? 0 : Number(m[6]),
    });
  }
  return entries;
}

/** Information about one path of an ext filesystem, or undefined when it does not exist. */
export async function ext4Stat(
  part: PartitionRef,
  path: string,
  opts: { logger?: Logger } = {},
): Promise<Ext4Entry | undefined> {
  const p = checkPath(path);
  if (p === '/')
    return { name: '/', path: '/', inode: 2, mode: 0o40755, type: 'dir', uid: 0, gid: 0, size: 0 };
  const parent = posix.dirname(p);
  try {
    return (await ext4List(part, parent, opts)).find((e) => e.name === posix.basename(p));
  } catch (err) {
    if (err instanceof InputError && err.code === 'FS_NOT_FOUND') return undefined;
    throw err;
  }
}

/** One change to an ext filesystem (see ext4Apply). */
export type Ext4Op =
  | { op: 'mkdir'; path: string; mode?: number; uid?: number; gid?: number }
  | {
      op: 'write';
      path: string;
      content?: string | Uint8Array;
      from?: string;
      mode?: number;
      uid?: number;
      gid?: number;
      mtime?: number;
    }
  | { op: 'symlink'; path: string; target: string; uid?: number; gid?: number }
  | { op: 'rm'; path: string };

/**
 * Apply changes to an ext2/3/4 partition in one debugfs run: parents are created as needed
 * (mkdir -p), existing files and symlinks are replaced, modes/owners set with set_inode_field.
 */
export async function ext4Apply(
  part: PartitionRef,
  ops: readonly Ext4Op[],
  opts: { logger?: Logger } = {},
): Promise<void> {
  if (ops.length === 0) return;
  // debugfs's mkdir on a directory that already exists allocates an inode and a block before it
  // fails, leaving the filesystem inconsistent: only ever mkdir directories known to be missing.
  const made = await existingDirs(part, ops, opts);
  await withTempDir('mantle-ext4-', async (dir) => {
    const cmds: string[] = [];
    const mkdirs = (p: string): void => {
      const parts = p.split('/').filter(Boolean);
      let cur = '';
      for (const seg of parts) {
        cur += '/' + seg;
        if (made.has(cur)) continue;
        made.add(cur);
        cmds.push(`mkdir ${q(cur)}`);
      }
    };
    let n = 0;
    for (const op of ops) {
      const p = checkPath(op.path);
      if (p === '/')
        throw new InputError({
          code: 'FS_BAD_PATH',
          message: `cannot ${op.op} the root directory`,
          hint: 'give a path below /',
        });
      if (op.op === 'mkdir') {
        mkdirs(p);
      } else if (op.op === 'rm') {
        cmds.push(`rm ${q(p)}`);
        continue;
      } else {
        mkdirs(posix.dirname(p));
        // Replace what is there: debugfs write/symlink refuse to overwrite.
        cmds.push(`rm ${q(p)}`);
        if (op.op === 'write') {
          let src = op.from;
          if (src === undefined) {
            src = join(dir, `f${n++}`);
            await writeFile(src, op.content ?? '');
          }
          cmds.push(`write ${q(checkDebugfsArg(src, 'host file'))} ${q(p)}`);
          if (op.mtime !== undefined) cmds.push(`sif ${q(p)} mtime @${Math.floor(op.mtime)}`);
        } else {
          cmds.push(`symlink ${q(p)} ${q(checkDebugfsArg(op.target, 'symlink target'))}`);
        }
      }
      const typeBits = op.op === 'mkdir' ? 0o40000 : op.op === 'symlink' ? 0o120000 : 0o100000;
      if ('mode' in op && op.mode !== undefined)
        cmds.push(`sif ${q(p)} mode 0${(typeBits | (op.mode & 0o7777)).toString(8)}`);
      if (op.uid !== undefined) cmds.push(`sif ${q(p)} uid ${op.uid}`);
      if (op.gid !== undefined) cmds.push(`sif ${q(p)} gid ${op.gid}`);
    }
    await debugfs(part, cmds, {
      write: true,
      logger: opts.logger,
      what: ops.map((o) => o.path).join(', '),
      cmdDir: dir,
    });
  });
}

// The directories among the ones `ops` need (targets of mkdir, parents of everything) that exist.
async function existingDirs(
  part: PartitionRef,
  ops: readonly Ext4Op[],
  opts: { logger?: Logger },
): Promise<Set<string>> {
  const wanted = new Set<string>();
  for (const op of ops) {
    const p = checkPath(op.path);
    let cur = op.op === 'mkdir' ? p : posix.dirname(p);
    while (cur !== '/' && !wanted.has(cur)) {
      wanted.add(cur);
      cur = posix.dirname(cur);
    }
  }
  const existing = new Set<string>(['/']);
  const listings = new Map<string, Ext4Entry[] | undefined>();
  // Walk top-down so a missing parent answers for all its descendants without a debugfs run.
  for (const d of [...wanted].sort((a, b) => a.split('/').length - b.split('/').length)) {
    const parent = posix.dirname(d);
    if (!existing.has(parent)) continue;
    if (!listings.has(parent)) {
      try {
        listings.set(parent, await ext4List(part, parent, opts));
      } catch (err) {
        if (err instanceof InputError && err.code === 'FS_NOT_FOUND') listings.set(parent, undefined);
        else throw err;
      }
    }
    const entry = listings.get(parent)?.find((e) => e.name === posix.basename(d));
    if (entry?.type === 'dir') existing.add(d);
  }
  return existing;
}

/** Write one file into an ext partition (creating parents, replacing an existing file). */
export async function ext4WriteFile(
  part: PartitionRef,
  path: string,
  content: string | Uint8Array | { from: string },
  opts: { mode?: number; uid?: number; gid?: number; mtime?: number; logger?: Logger } = {},
): Promise<void> {
  const src = typeof content === 'object' && 'from' in content ? { from: content.from } : { content };
  await ext4Apply(part, [{ op: 'write', path, ...src, ...pick(opts) }], { logger: opts.logger });
}

/** Create (or replace) a symlink in an ext partition. */
export async function ext4Symlink(
  part: PartitionRef,
  path: string,
  target: string,
  opts: { uid?: number; gid?: number; logger?: Logger } = {},
): Promise<void> {
  await ext4Apply(part, [{ op: 'symlink', path, target, ...pick(opts) }], { logger: opts.logger });
}

/** Create a directory and its parents in an ext partition. */
export async function ext4Mkdir(
  part: PartitionRef,
  path: string,
  opts: { mode?: number; uid?: number; gid?: number; logger?: Logger } = {},
): Promise<void> {
  await ext4Apply(part, [{ op: 'mkdir', path, ...pick(opts) }], { logger: opts.logger });
}

function pick(o: { mode?: number; uid?: number; gid?: number; mtime?: number }): {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
} {
  const r: { mode?: number; uid?: number; gid?: number; mtime?: number } = {};
  if (o.mode !== undefined) r.mode = o.mode;
  if (o.uid !== undefined) r.uid = o.uid;
  if (o.gid !== undefined) r.gid = o.gid;
  if (o.mtime !== undefined) r.mtime = o.mtime;
  return r;
}

// Errors debugfs prints for the commands we issue on purpose (mkdir -p, rm before replace).
const BENIGN = [
  /^(ext2fs_)?mkdir: .*already exists/,
  /^ext2fs_mkdir: Ext2 directory already exists/,
  /^rm: File not found by ext2_lookup/,
];

async function debugfs(
  part: PartitionRef,
  cmds: string[],
  opts: { write: boolean; logger?: Logger | undefined; what: string; cmdDir?: string },
): Promise<string> {
  const bin = await e2tool('debugfs');
  const exec = async (cmdDir: string): Promise<{ stdout: string; stderr: string }> => {
    const file = join(cmdDir, 'cmds');
    await writeFile(file, cmds.join('\n') + '\n');
    const args = [...(opts.write ? ['-w'] : []), '-f', file];
    try {
      return await withToolPath(part.image, (img) =>
        run(bin, [...args, `${img}?offset=${part.offset}`], { logger: opts.logger, timeoutMs: 600_000 }),
      );
    } catch (err) {
      if (err instanceof ExecError && /Bad magic number|superblock|Could not open/i.test(err.stderrTail)) {
        throw new InputError({
          code: 'FS_NOT_EXT4',
          message: `no ext2/3/4 filesystem at byte ${part.offset} of ${part.image}${part.label ? ` (partition ${part.label})` : ''}`,
          hint: 'is this the right partition? was it formatted?',
          cause: err,
          details: { file: part.image },
        });
      }
      throw err;
    }
  };
  const { stdout, stderr } = opts.cmdDir ? await exec(opts.cmdDir) : await withTempDir('mantle-ext4-', exec);
  const problems = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^debugfs \d/.test(l) && !BENIGN.some((re) => re.test(l)));
  if (problems.length > 0) {
    if (problems.some((l) => /File not found by ext2_lookup|not a directory/i.test(l))) {
      throw new InputError({
        code: 'FS_NOT_FOUND',
        message: `${opts.what}: not found in the ext filesystem of ${part.image}${part.label ? ` partition ${part.label}` : ''}: ${problems.join('; ')}`,
        hint: 'list the directory to see what is there',
        details: { file: part.image, path: opts.what },
      });
    }
    throw new OperationError({
      code: 'FS_FAILED',
      message: `debugfs on ${part.image}${part.label ? ` partition ${part.label}` : ''} failed for ${opts.what}: ${problems.join('; ')}`,
      hint: 'is the filesystem full or damaged? run e2fsck on a copy',
      details: { file: part.image },
    });
  }
  return stdout;
}

/**
 * Refuse a value that cannot be one double-quoted argument of a debugfs script line: a `"` ends
 * the argument, a newline starts a new command (and a line starting with `!` runs a shell), so
 * both, and every other control character, are refused. Used for both sides of every operation:
 * the path in the image and the host file it is read from.
 */
export function checkDebugfsArg(value: string, what: string): string {
  if (value.includes('"') || hasControlChars(value)) {
    throw new InputError({
      code: 'FS_BAD_PATH',
      message: `${what} ${JSON.stringify(value)} contains a double quote, newline or other control character, which cannot go into a debugfs command`,
      hint: 'rename it to plain printable characters',
      details: { what, value },
    });
  }
  return value;
}

function checkPath(path: string): string {
  checkDebugfsArg(path, 'path');
  return posix.normalize('/' + path).replace(/(.)\/$/, '$1');
}

// debugfs (via the ss library) takes double-quoted arguments, so names with spaces work.
function q(s: string): string {
  return `"${s}"`;
}

function modeType(mode: number): Ext4Entry['type'] {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

async function e2tool(name: string): Promise<string> {
  return requireTool(name, {
    debianPackage: 'e2fsprogs',
    purpose: 'make and change ext4 filesystems without root',
  });
}
