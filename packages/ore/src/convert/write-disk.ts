import { constants } from 'node:fs';
import { copyFile, open, type FileHandle } from 'node:fs/promises';
import { allocatedRegions, copyNonZero, nonZeroPiecesOfStream, regionBytes } from './data-map.js';
import { checkStreamSize, openInputStream, writePieces, type ConvertInput } from './input.js';
import { noProgress, type ProgressFactory } from './progress.js';
import { alignVhdSize, encodeVhdFooter, VHD_FOOTER_SIZE } from './vhd-footer.js';

export interface WriteDiskOptions {
  signal?: AbortSignal;
  progress?: ProgressFactory;
  /** VHD footer timestamp/unique id (tests pin them) */
  vhd?: { timestamp?: Date; uniqueId?: Buffer };
}

export interface WriteDiskResult {
  /** bytes of the disk (for a VHD: after alignment, without the footer) */
  virtualSize: number;
  /** non-zero bytes written */
  dataBytes: number;
}

/**
 * Clone `src` to `dst` by reflink (btrfs, XFS, bcachefs; FICLONE) and say whether that worked. Other
 * file systems refuse at once (ENOTSUP/EXDEV/EINVAL), and then the caller copies. Node's plain
 * copyFile is no fallback: its copy_file_range/sendfile turns a sparse disk's holes into written
 * zeros.
 */
async function cloneFile(src: string, dst: string): Promise<boolean> {
  try {
    await copyFile(src, dst, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  }
}

/**
 * Write a raw disk or a fixed VHD from a raw input (`raw` or `stream` kind), sparse: an
 * uncompressed raw is cloned where the file system can (reflink), else only non-zero blocks are
 * written and the rest stays a hole. A VHD is the disk padded to a whole MiB plus the
 * footer; a decompressed stream whose length disagrees with its GPT is IMAGE_TRUNCATED.
 */
export async function writeDisk(
  input: ConvertInput,
  out: string,
  format: 'raw' | 'vhd',
  opts: WriteDiskOptions = {},
): Promise<WriteDiskResult> {
  if (input.kind === 'qemu') throw new Error('writeDisk needs a raw input');
  const progress = opts.progress ?? noProgress;
  if (input.kind === 'raw' && (await cloneFile(input.file, out))) {
    // A reflink clone shares the raw's extents: no data is read or written, holes stay holes.
    const size = input.size ?? 0;
    const regions = await allocatedRegions(input.file, size, opts.signal ? { signal: opts.signal } : {});
    const dst = await open(out, 'r+');
    try {
      if (format === 'raw') {
        await dst.truncate(size);
        return { virtualSize: size, dataBytes: regionBytes(regions) };
      }
      return { virtualSize: await finishVhd(dst, size, opts.vhd), dataBytes: regionBytes(regions) };
    } finally {
      await dst.close();
    }
  }
  const dst = await open(out, 'w', 0o644);
  try {
    let size: number;
    let dataBytes: number;
    if (input.kind === 'raw') {
      size = input.size ?? 0;
      const regions = await allocatedRegions(input.file, size, opts.signal ? { signal: opts.signal } : {});
      const src = await open(input.file, 'r');
      const task = progress(`write ${format}`, regionBytes(regions));
      try {
        dataBytes = await copyNonZero(src, dst, regions, {
          ...(opts.signal ? { signal: opts.signal } : {}),
          onRead: (n) => task.update(n),
        });
      } finally {
        task.finish();
        await src.close();
      }
    } else {
      const stream = await openInputStream(input, opts.signal);
      const total = { bytes: 0 };
      const task = progress(`decompress ${input.compression} -> ${format}`, input.size ?? 0);
      try {
        dataBytes = await writePieces(
          dst,
          nonZeroPiecesOfStream(stream, {
            ...(opts.signal ? { signal: opts.signal } : {}),
            onRead: (n) => task.update(n),
            total,
          }),
        );
      } finally {
        task.finish();
        stream.destroy();
      }
      checkStreamSize(input, total.bytes);
      size = total.bytes;
    }
    if (format === 'raw') {
      await dst.truncate(size);
      return { virtualSize: size, dataBytes };
    }
    return { virtualSize: await finishVhd(dst, size, opts.vhd), dataBytes };
  } finally {
    await dst.close();
  }
}

/** Pad the disk in `fh` to a whole MiB and append the fixed-VHD footer; returns the padded size. */
export async function finishVhd(
  fh: FileHandle,
  size: number,
  footer: { timestamp?: Date; uniqueId?: Buffer } = {},
): Promise<number> {
  const aligned = alignVhdSize(size);
  await fh.truncate(aligned);
  const f = encodeVhdFooter(aligned, footer);
  await fh.write(f, 0, VHD_FOOTER_SIZE, aligned);
  return aligned;
}
