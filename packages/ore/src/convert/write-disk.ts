import { open, stat, type FileHandle } from 'node:fs/promises';
import { nonZeroPiecesOfStream } from './data-map.js';
import { checkStreamSize, openInputStream, writePieces, type ConvertInput } from './input.js';
import { noProgress, type ProgressFactory } from './progress.js';
import { sparseCopyFile } from './sparse-copy.js';
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
  /** non-zero bytes written (from a raw file: the bytes the copy allocates, 4 KiB blocks) */
  dataBytes: number;
}

/**
 * Write a raw disk or a fixed VHD from a raw input (`raw` or `stream` kind), sparse: an
 * uncompressed raw is cloned where the file system can (reflink), else only its data extents
 * are copied, zero blocks left as holes (sparseCopyFile); a stream's non-zero blocks are written
 * and the rest stays a hole. A VHD is the disk padded to a whole MiB plus the
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
  if (input.kind === 'raw') {
    // cp clones (reflink) or copies only the data extents, zero blocks left as holes
    const size = input.size ?? 0;
    const task = progress(`write ${format}`, (await stat(input.file)).blocks * 512);
    let copied: { allocatedBytes: number };
    try {
      copied = await sparseCopyFile(input.file, out, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (done) => task.update(done),
      });
    } finally {
      task.finish();
    }
    const dst = await open(out, 'r+');
    try {
      if (format === 'raw') {
        await dst.truncate(size);
        return { virtualSize: size, dataBytes: copied.allocatedBytes };
      }
      return { virtualSize: await finishVhd(dst, size, opts.vhd), dataBytes: copied.allocatedBytes };
    } finally {
      await dst.close();
    }
  }
  const dst = await open(out, 'w', 0o644);
  try {
    const stream = await openInputStream(input, opts.signal);
    const total = { bytes: 0 };
    const task = progress(`decompress ${input.compression} -> ${format}`, input.size ?? 0);
    let dataBytes: number;
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
    const size = total.bytes;
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
