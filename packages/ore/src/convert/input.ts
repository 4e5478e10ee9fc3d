import { mkdtemp, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '@mantle/core/errors';
import {
  inspectImage,
  openDecompressedStream,
  qemuFormatName,
  type Compression,
  type ImageFormat,
} from '@mantle/core/image';
import { onCleanup } from '@mantle/core/cli';
import { requireTool } from '@mantle/core/exec';
import { type Logger } from '@mantle/core/log';
import { nonZeroPiecesOfStream } from './data-map.js';
import { noProgress, type ProgressFactory } from './progress.js';
import { qemuImgConvert } from './qemu-img.js';

/**
 * An input image as the converters see it:
 * - `raw`: an uncompressed raw disk, read with positioned reads (only its data regions);
 * - `stream`: a compressed raw disk, read once front to back through the decompressor;
 * - `qemu`: a qcow2/VMDK/VHD/VHDX (or a compressed one, after decompression), read by qemu-img.
 */
export interface ConvertInput {
  file: string;
  kind: 'raw' | 'stream' | 'qemu';
  /** the container format inside any compression */
  format: ImageFormat;
  subformat?: string;
  compression: Compression;
  /** bytes of the virtual disk; for a stream, what its GPT says (checked when the stream ends) */
  size: number | undefined;
}

/** Inspect an input: compression, format, size. Not a disk image: NOT_A_DISK_IMAGE (exit 2). */
export async function describeInput(
  file: string,
  opts: { logger?: Logger; signal?: AbortSignal } = {},
): Promise<ConvertInput> {
  const info = await inspectImage(file, {
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const base = {
    file,
    format: info.format,
    ...(info.subformat ? { subformat: info.subformat } : {}),
    compression: info.compression,
    size: info.virtualSize?.bytes,
  };
  if (info.format === 'raw' && info.compression === 'none') return { ...base, kind: 'raw' };
  if (info.format === 'raw') return { ...base, kind: 'stream' };
  return { ...base, kind: 'qemu' };
}

/**
 * Run `fn` with a work dir for large intermediate files next to the output (same file system,
 * room for the result), removed afterwards — also on Ctrl-C (core's cleanup registry).
 */
export async function withWorkDir<T>(out: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(dirname(out), '.ore-work-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true }).catch(() => undefined);
  const unregister = onCleanup(remove, `remove ${dir}`);
  try {
    return await fn(dir);
  } finally {
    await remove();
    unregister();
  }
}

/**
 * A raw file of the input's disk: the input itself when it is raw, else a sparse raw copy in
 * `workDir` (decompressed, or converted by qemu-img). Returns its path and size.
 */
export async function rawFileOf(
  input: ConvertInput,
  workDir: string,
  opts: { signal?: AbortSignal; progress?: ProgressFactory; logger?: Logger } = {},
): Promise<{ file: string; size: number }> {
  if (input.kind === 'raw') return { file: input.file, size: input.size ?? 0 };
  const out = join(workDir, 'disk.raw');
  if (input.kind === 'stream') {
    opts.logger?.info(`decompressing ${input.file} (${input.compression}) to a sparse work file`);
    const size = await decompressToSparseFile(input, out, opts);
    return { file: out, size };
  }
  const src = await qemuReadable(input, workDir, opts);
  await qemuImgConvert({
    input: src.file,
    inputFormat: src.format,
    output: out,
    outputFormat: 'raw',
    label: `${input.format} -> raw`,
    ...(input.size !== undefined ? { total: input.size } : {}),
    ...opts,
  });
  return { file: out, size: input.size ?? 0 };
}

/**
 * A file qemu-img can read for a `qemu` input: the input itself, or its decompressed copy
 * (qemu-img cannot read a pipe).
 */
export async function qemuReadable(
  input: ConvertInput,
  workDir: string,
  opts: { signal?: AbortSignal; progress?: ProgressFactory; logger?: Logger } = {},
): Promise<{ file: string; format: string }> {
  const format = qemuFormatName(input.format);
  if (input.compression === 'none') return { file: input.file, format };
  const out = join(workDir, `input.${input.format}`);
  opts.logger?.info(`decompressing ${input.file} (${input.compression}) for qemu-img`);
  await decompressToSparseFile({ ...input, size: undefined }, out, opts);
  return { file: out, format };
}

/** Stream-decompress into a new sparse file (zero blocks become holes); returns its size. */
async function decompressToSparseFile(
  input: ConvertInput,
  out: string,
  opts: { signal?: AbortSignal; progress?: ProgressFactory } = {},
): Promise<number> {
  const stream = await openDecompressedStream(input.file, input.compression, {
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const task = (opts.progress ?? noProgress)(`decompress ${input.compression}`, input.size ?? 0);
  const fh = await open(out, 'w', 0o644);
  try {
    const total = { bytes: 0 };
    await writePieces(fh, nonZeroPiecesOfStream(stream, { ...opts, onRead: (n) => task.update(n), total }));
    await fh.truncate(total.bytes);
    checkStreamSize(input, total.bytes);
    return total.bytes;
  } finally {
    task.finish();
    stream.destroy();
    await fh.close();
  }
}

/** Write pieces at their offsets; returns the bytes written. */
export async function writePieces(
  fh: import('node:fs/promises').FileHandle,
  pieces: AsyncIterable<{ offset: number; data: Buffer }>,
): Promise<number> {
  let written = 0;
  for await (const p of pieces) {
    let at = 0;
    while (at < p.data.length) {
      const { bytesWritten } = await fh.write(p.data, at, p.data.length - at, p.offset + at);
      at += bytesWritten;
    }
    written += p.data.length;
  }
  return written;
}

/** A decompressed stream whose length differs from what its GPT promised is a truncated image. */
export function checkStreamSize(input: ConvertInput, got: number): void {
  if (input.size !== undefined && got !== input.size) {
    throw new InputError({
      code: 'IMAGE_TRUNCATED',
      message: `${input.file}: the decompressed disk is ${got} bytes, but its partition table says ${input.size}`,
      hint: 'the image is truncated or damaged; fetch it again',
      details: { file: input.file, expected: input.size, got },
    });
  }
}

/** The decompressed stream of a `stream` input. */
export async function openInputStream(input: ConvertInput, signal?: AbortSignal): Promise<Readable> {
  return openDecompressedStream(input.file, input.compression, signal ? { signal } : {});
}

/** qemu-img is needed for anything but raw/VHD/GCE from raw: say so before starting. */
export async function requireQemuImg(purpose: string): Promise<string> {
  return requireTool('qemu-img', { debianPackage: 'qemu-utils', purpose });
}
