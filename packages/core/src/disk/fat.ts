import { mkdir, readdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { InputError, OperationError } from '../errors/mantle-error.js';
import { ExecError } from '../exec/exec-error.js';
import { requireTool } from '../exec/require-tool.js';
import { run } from '../exec/run.js';
import type { Logger } from '../log/logger.js';
import { withTempDir, withToolPath, type PartitionRef } from './partition-ref.js';

// FAT without root or loop devices: mkfs.vfat writes straight into the image at the partition's
// offset (--offset, in 512-byte sectors), mtools reads and writes files through `-i IMAGE@@OFFSET`.

// mtools refuses images whose geometry looks odd unless told not to check.
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

export interface FatFormatOptions {
  /** volume label (up to 11 characters) */
  label?: string;
  /** 12, 16 or 32; default: mkfs.vfat decides by size (an ESP should be 32 when it is large enough) */
  fatSize?: 12 | 16 | 32;
  /** volume id, 8 hex digits; fixed ids make images reproducible */
  volumeId?: string;
  logger?: Logger;
}

/** Make a FAT filesystem in a partition of an image. */
export async function formatFat(part: PartitionRef, opts: FatFormatOptions = {}): Promise<void> {
  const mkfs = await requireTool('mkfs.vfat', {
    debianPackage: 'dosfstools',
    purpose: 'make FAT filesystems',
  });
  if (part.offset % 512 !== 0 || part.size % 1024 !== 0) {
    throw new InputError({
      code: 'FS_BAD_PARTITION',
      message: `${part.image}: partition at byte ${part.offset} (${part.size} bytes) is not 512-byte aligned with a whole number of KiB`,
      hint: 'align partitions to at least 1 KiB',
    });
  }
  if (opts.label !== undefined && (opts.label.length > 11 || !/^[\x20-\x7e]*$/.test(opts.label))) {
    throw new InputError({
      code: 'FS_BAD_LABEL',
      message: `FAT label ${JSON.stringify(opts.label)} must be at most 11 ASCII characters`,
      hint: 'shorten the label',
    });
  }
  const sector = part.offset / 512;
  const args = ['-h', String(sector), `--offset=${sector}`];
  if (opts.fatSize) args.push('-F', String(opts.fatSize));
  if (opts.label) args.push('-n', opts.label);
  if (opts.volumeId) args.push('-i', opts.volumeId);
  await withToolPath(part.image, (img) =>
    run(mkfs, [...args, img, String(part.size / 1024)], { logger: opts.logger, timeoutMs: 120_000 }),
  );
}

/** Copy the contents of a local directory into a FAT partition (into `dest`, default the root). */
export async function fatCopyDir(
  part: PartitionRef,
  dir: string,
  opts: { dest?: string; logger?: Logger } = {},
): Promise<void> {
  const mcopy = await mtool('mcopy');
  const entries = (await readdir(dir)).sort();
  if (entries.length === 0) return;
  const dest = fatPath(opts.dest ?? '/');
  if (dest !== '::/') await fatMkdirs(part, opts.dest ?? '/', opts.logger);
  await withToolPath(part.image, (img) =>
    run(
      mcopy,
      ['-s', '-o', '-p', '-m', '-i', `${img}@@${part.offset}`, ...entries.map((e) => join(dir, e)), dest],
      {
        env: MTOOLS_ENV,
        logger: opts.logger,
        timeoutMs: 600_000,
      },
    ),
  );
}

/** Write one file into a FAT partition, creating its directories. */
export async function fatWriteFile(
  part: PartitionRef,
  path: string,
  content: string | Uint8Array | { from: string },
  opts: { logger?: Logger } = {},
): Promise<void> {
  const clean = posix.normalize('/' + path);
  const top = clean.split('/').filter(Boolean);
  if (top.length === 0)
    throw new InputError({
      code: 'FS_BAD_PATH',
      message: `FAT path ${JSON.stringify(path)} names no file`,
      hint: 'give a file path like /EFI/boot/grub.cfg',
    });
  // Stage the path in a temp tree and merge it in with one recursive mcopy: mtools has no mkdir -p.
  await withTempDir('mantle-fat-', async (stage) => {
    const local = join(stage, ...top);
    await mkdir(dirname(local), { recursive: true });
    if (typeof content === 'object' && 'from' in content) await copyFile(content.from, local);
    else await writeFile(local, content);
    await fatCopyDir(part, stage, opts);
  });
}

/** Make a directory (and its parents) in a FAT partition. */
export async function fatMkdirs(part: PartitionRef, path: string, logger?: Logger): Promise<void> {
  const top = posix
    .normalize('/' + path)
    .split('/')
    .filter(Boolean);
  if (top.length === 0) return;
  await withTempDir('mantle-fat-', async (stage) => {
    await mkdir(join(stage, ...top), { recursive: true });
    const mcopy = await mtool('mcopy');
    await withToolPath(part.image, (img) =>
      run(mcopy, ['-s', '-o', '-i', `${img}@@${part.offset}`, join(stage, top[0]!), '::/'], {
        env: MTOOLS_ENV,
        logger,
        timeoutMs: 60_000,
      }),
    );
  });
}

/** Read one file from a FAT partition (binary-safe). FS_NOT_FOUND (exit 2) when it is missing. */
export async function fatReadFile(
  part: PartitionRef,
  path: string,
  opts: { logger?: Logger } = {},
): Promise<Buffer> {
  const mcopy = await mtool('mcopy');
  return withTempDir('mantle-fat-', async (dir) => {
    const out = join(dir, 'out');
    try {
      await withToolPath(part.image, (img) =>
        run(mcopy, ['-n', '-i', `${img}@@${part.offset}`, fatPath(path), out], {
          env: MTOOLS_ENV,
          logger: opts.logger,
          timeoutMs: 120_000,
        }),
      );
    } catch (err) {
      throw mtoolsError(err, part, path);
    }
    return readFile(out);
  });
}

/** One directory entry of a FAT partition. */
export interface FatEntry {
  name: string;
  path: string;
  type: 'file' | 'dir';
}

/** List a directory of a FAT partition. */
export async function fatList(
  part: PartitionRef,
  dir = '/',
  opts: { logger?: Logger } = {},
): Promise<FatEntry[]> {
  const mdir = await mtool('mdir');
  let stdout: string;
  try {
    ({ stdout } = await withToolPath(part.image, (img) =>
      run(mdir, ['-b', '-i', `${img}@@${part.offset}`, fatPath(dir)], {
        env: MTOOLS_ENV,
        logger: opts.logger,
        timeoutMs: 60_000,
      }),
    ));
  } catch (err) {
    throw mtoolsError(err, part, dir);
  }
  const base = posix.normalize('/' + dir).replace(/\/$/, '');
  const out: FatEntry[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('::')) continue;
    const isDir = line.endsWith('/');
    const full = line.slice(2).replace(/\/$/, '');
    const name = posix.basename(full);
    if (name === '.' || name === '..') continue;
    out.push({ name, path: `${base}/${name}`, type: isDir ? 'dir' : 'file' });
  }
  return out;
}

function fatPath(path: string): string {
  return '::' + posix.normalize('/' + path);
}

async function mtool(name: string): Promise<string> {
  return requireTool(name, {
    debianPackage: 'mtools',
    purpose: 'read and write FAT filesystems without root',
  });
}

function mtoolsError(err: unknown, part: PartitionRef, path: string): Error {
  if (err instanceof ExecError) {
    if (/not found|no match/i.test(err.stderrTail)) {
      return new InputError({
        code: 'FS_NOT_FOUND',
        message: `${path} not found in the FAT filesystem at byte ${part.offset} of ${part.image}`,
        hint: 'list the directory to see what is there',
        cause: err,
        details: { file: part.image, path },
      });
    }
    if (/init|boot sector|FAT/i.test(err.stderrTail)) {
      return new InputError({
        code: 'FS_NOT_FAT',
        message: `no FAT filesystem at byte ${part.offset} of ${part.image}${part.label ? ` (partition ${part.label})` : ''}`,
        hint: 'is this the right partition? was it formatted?',
        cause: err,
        details: { file: part.image },
      });
    }
    return new OperationError({ code: 'FS_FAILED', message: err.message, cause: err });
  }
  return err as Error;
}
