import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { onCleanup } from '../cli/cleanup.js';
import { InputError } from '../errors/mantle-error.js';
import { checkOutputFile } from '../fs/output-path.js';
import { outputWriteError } from '../fs/path-problems.js';
import { openForWrite } from './block-source.js';
import { writeGpt, type GptTable } from './gpt/index.js';
import {
  checkLayoutFits,
  layoutToGptSpec,
  placeLayout,
  type DiskLayout,
  type PlacedLayout,
} from './layout.js';

export interface CreateLayoutImageOptions {
  /** the image to create */
  out: string;
  layout: DiskLayout;
  /** disk size in bytes; default: the layout's aligned size */
  size?: number;
  /** replace `out` if it exists (default: refuse, exit 2) */
  overwrite?: boolean;
  /** the flag that named `out` and the one that allows replacing it, for messages */
  flag?: string;
  overwriteFlag?: string;
  diskGuid?: string;
  /**
   * Fill the new image before it is renamed into place (format partitions, copy files). Runs on
   * the temp file; if it throws, nothing is left behind.
   */
  populate?: (tempImage: string, table: GptTable, placed: PlacedLayout) => Promise<void>;
}

export interface LayoutImageResult {
  file: string;
  size: number;
  layout: string;
  table: GptTable;
}

/**
 * Create a sparse raw image with a layout's GPT. The layout and size are validated completely
 * first; the image is built as a temp file in the same directory and renamed into place, so an
 * error or an interrupt leaves no half-written image and never clobbers an existing one.
 */
export async function createLayoutImage(opts: CreateLayoutImageOptions): Promise<LayoutImageResult> {
  const placed = placeLayout(opts.layout);
  const bs = opts.layout.metadata.blockSize;
  const size = opts.size ?? placed.alignedBytes;
  if (size % bs !== 0) {
    throw new InputError({
      code: 'BAD_SIZE',
      message: `image size ${size} is not a multiple of the ${bs}-byte sector size`,
      hint: `round the size to a multiple of ${bs} (e.g. use M or G units)`,
      details: { size },
    });
  }
  checkLayoutFits(placed, size, opts.size === undefined ? 'the layout size' : 'the requested size');
  const spec = layoutToGptSpec(placed, opts.diskGuid ? { diskGuid: opts.diskGuid } : {});

  // A directory, an existing image, a missing or read-only directory: exit 2 before any write.
  await checkOutputFile(opts.out, {
    cwd: process.cwd(),
    flag: opts.flag,
    overwrite: opts.overwrite,
    overwriteFlag: opts.overwriteFlag,
  });
  const label = { flag: opts.flag, path: opts.out };
  const tmp = join(
    dirname(opts.out),
    `.${basename(opts.out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const unregister = onCleanup(() => rm(tmp, { force: true }), `remove ${tmp}`);
  try {
    let fh;
    try {
      fh = await open(tmp, 'wx', 0o644);
    } catch (err) {
      throw outputWriteError(err, label, dirname(opts.out));
    }
    try {
      // truncate() makes the file sparse: a 10 GiB image costs a few KiB until filled.
      await fh.truncate(size);
    } finally {
      await fh.close();
    }
    const written = await writeGpt(tmp, spec);
    if (opts.populate) await opts.populate(tmp, { ...written, file: tmp }, placed);
    await syncFile(tmp);
    await rename(tmp, opts.out).catch((err: unknown) => {
      throw outputWriteError(err, label, dirname(opts.out));
    });
    return { file: opts.out, size, layout: opts.layout.name, table: { ...written, file: opts.out } };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    unregister();
  }
}

export interface ApplyLayoutOptions {
  image: string;
  layout: DiskLayout;
  /** grow the file to this size (bytes) first when it is smaller; never shrinks */
  size?: number;
  diskGuid?: string;
}

/**
 * Write a layout's GPT onto an existing image (replacing its table; data in the partitions is not
 * touched). Fails with LAYOUT_TOO_LARGE, before writing anything, if the layout does not fit.
 */
export async function applyLayout(opts: ApplyLayoutOptions): Promise<LayoutImageResult> {
  const placed = placeLayout(opts.layout);
  const fh = await openForWrite(opts.image);
  let current: number;
  try {
    current = (await fh.stat()).size;
    const target = Math.max(current, opts.size ?? 0);
    checkLayoutFits(placed, target - (target % opts.layout.metadata.blockSize), opts.image);
    if (target > current) await fh.truncate(target);
  } finally {
    await fh.close();
  }
  const table = await writeGpt(
    opts.image,
    layoutToGptSpec(placed, opts.diskGuid ? { diskGuid: opts.diskGuid } : {}),
  );
  return { file: opts.image, size: table.diskSize, layout: opts.layout.name, table };
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
