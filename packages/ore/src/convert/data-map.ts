import type { FileHandle } from 'node:fs/promises';
import { InterruptedError } from '@mantle/core/errors';
import { requireTool, run } from '@mantle/core/exec';
import type { DataRegion } from './tar-oldgnu.js';

// Disk images are mostly holes: a 12 GiB Flatcar disk holds ~1 GiB of data. Everything here
// touches only the data: the file system's own map of allocated extents (SEEK_DATA/SEEK_HOLE,
// asked through `qemu-img map`, since Node has no lseek), then a scan of those extents that drops
// blocks of zeros the file system stored anyway.

/** Blocks of this size that are all zero count as holes (GNU tar, pigz and Azure use 4-64 KiB). */
const ZERO_BLOCK = 64 * 1024;
/** How much is read or written at once. */
export const IO_CHUNK = 4 * 1024 * 1024;

const ZEROS = Buffer.alloc(ZERO_BLOCK);

/** A run of non-zero bytes at an offset of the disk. */
export interface Piece {
  offset: number;
  data: Buffer;
}

/**
 * The allocated regions of a raw file, from the file system's extent map (`qemu-img map`, which
 * uses SEEK_DATA/SEEK_HOLE). Unallocated regions read as zeros.
 */
export async function allocatedRegions(
  file: string,
  size: number,
  opts: { signal?: AbortSignal } = {},
): Promise<DataRegion[]> {
  const qemuImg = await requireTool('qemu-img', {
    debianPackage: 'qemu-utils',
    purpose: 'find the data regions of a disk image',
  });
  const res = await run(qemuImg, ['map', '--output=json', '-f', 'raw', file], {
    timeoutMs: 300_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const entries = JSON.parse(res.stdout) as { start: number; length: number; data: boolean; zero: boolean }[];
  const out: DataRegion[] = [];
  for (const e of entries) {
    if (!e.data || e.zero) continue;
    const end = Math.min(e.start + e.length, size);
    if (end <= e.start) continue;
    const last = out[out.length - 1];
    if (last && last.offset + last.length === e.start) last.length = end - last.offset;
    else out.push({ offset: e.start, length: end - e.start });
  }
  return out;
}

/** The sum of the regions' lengths. */
export function regionBytes(regions: readonly DataRegion[]): number {
  return regions.reduce((n, r) => n + r.length, 0);
}

/**
 * The non-zero pieces of the given regions of an open file, each at most IO_CHUNK bytes,
 * zero blocks (ZERO_BLOCK-sized, aligned to the region start) left out. `onRead` gets the bytes of
 * region data read so far (for progress).
 */
async function* nonZeroPiecesOfFile(
  fh: FileHandle,
  regions: readonly DataRegion[],
  opts: { signal?: AbortSignal; onRead?: (bytes: number) => void } = {},
): AsyncGenerator<Piece> {
  let read = 0;
  const buf = Buffer.allocUnsafe(IO_CHUNK);
  for (const r of regions) {
    for (let pos = r.offset; pos < r.offset + r.length;) {
      if (opts.signal?.aborted) throw new InterruptedError('abort signal');
      const want = Math.min(IO_CHUNK, r.offset + r.length - pos);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      // Copies: the caller may hold a piece while the next read refills the buffer.
      for (const p of splitNonZero(buf.subarray(0, bytesRead), pos))
        yield { offset: p.offset, data: Buffer.from(p.data) };
      pos += bytesRead;
      read += bytesRead;
      opts.onRead?.(read);
    }
  }
}

/**
 * The non-zero pieces of a stream of disk bytes (a decompressor's output), cut into blocks of
 * ZERO_BLOCK from offset 0. `onRead` gets the stream bytes consumed so far; `total` is set to the
 * stream's length once it ends.
 */
export async function* nonZeroPiecesOfStream(
  stream: AsyncIterable<Buffer | Uint8Array>,
  opts: { signal?: AbortSignal; onRead?: (bytes: number) => void; total?: { bytes: number } } = {},
): AsyncGenerator<Piece> {
  let offset = 0;
  const pending = Buffer.allocUnsafe(IO_CHUNK);
  let fill = 0;
  for await (const raw of stream) {
    if (opts.signal?.aborted) throw new InterruptedError('abort signal');
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, IO_CHUNK - fill);
      chunk.copy(pending, fill, at, at + n);
      fill += n;
      at += n;
      if (fill === IO_CHUNK) {
        for (const p of splitNonZero(pending, offset)) yield { offset: p.offset, data: Buffer.from(p.data) };
        offset += fill;
        fill = 0;
        opts.onRead?.(offset);
      }
    }
  }
  if (fill > 0) {
    for (const p of splitNonZero(pending.subarray(0, fill), offset))
      yield { offset: p.offset, data: Buffer.from(p.data) };
    offset += fill;
    opts.onRead?.(offset);
  }
  if (opts.total) opts.total.bytes = offset;
}

/** The non-zero runs of a buffer at disk offset `base`, in ZERO_BLOCK steps; views, not copies. */
export function splitNonZero(buf: Buffer, base: number): Piece[] {
  const out: Piece[] = [];
  let runStart = -1;
  for (let i = 0; i < buf.length; i += ZERO_BLOCK) {
    const end = Math.min(i + ZERO_BLOCK, buf.length);
    const zero = end - i === ZERO_BLOCK ? buf.subarray(i, end).equals(ZEROS) : isZero(buf.subarray(i, end));
    if (!zero && runStart < 0) runStart = i;
    if (zero && runStart >= 0) {
      out.push({ offset: base + runStart, data: buf.subarray(runStart, i) });
      runStart = -1;
    }
  }
  if (runStart >= 0) out.push({ offset: base + runStart, data: buf.subarray(runStart) });
  return out;
}

function isZero(b: Buffer): boolean {
  return b.equals(ZEROS.subarray(0, b.length));
}

/**
 * The regions that really hold non-zero data: the allocated regions with their zero blocks
 * removed (one read of the data). Used where the map must be known before the data is written
 * (a sparse tar header).
 */
export async function nonZeroRegions(
  fh: FileHandle,
  regions: readonly DataRegion[],
  opts: { signal?: AbortSignal; onRead?: (bytes: number) => void } = {},
): Promise<DataRegion[]> {
  const out: DataRegion[] = [];
  for await (const p of nonZeroPiecesOfFile(fh, regions, opts)) {
    const last = out[out.length - 1];
    if (last && last.offset + last.length === p.offset) last.length += p.data.length;
    else out.push({ offset: p.offset, length: p.data.length });
  }
  return out;
}

/**
 * Copy the non-zero blocks of `regions` from `src` to the same offsets (plus `shift`) of `dst`, with
 * `concurrency` chunks read and written at once (the thread pool overlaps the I/O). Returns the
 * bytes written; `onRead` gets the region bytes done so far.
 */
export async function copyNonZero(
  src: FileHandle,
  dst: FileHandle,
  regions: readonly DataRegion[],
  opts: { signal?: AbortSignal; onRead?: (bytes: number) => void; concurrency?: number; shift?: number } = {},
): Promise<number> {
  const shift = opts.shift ?? 0;
  const chunks: DataRegion[] = [];
  for (const r of regions)
    for (let pos = r.offset; pos < r.offset + r.length; pos += IO_CHUNK)
      chunks.push({ offset: pos, length: Math.min(IO_CHUNK, r.offset + r.length - pos) });
  let next = 0;
  let read = 0;
  let written = 0;
  const worker = async (): Promise<void> => {
    const buf = Buffer.allocUnsafe(IO_CHUNK);
    while (next < chunks.length) {
      if (opts.signal?.aborted) throw new InterruptedError('abort signal');
      const c = chunks[next++]!;
      const { bytesRead } = await src.read(buf, 0, c.length, c.offset);
      for (const p of splitNonZero(buf.subarray(0, bytesRead), c.offset)) {
        let at = 0;
        while (at < p.data.length) {
          const { bytesWritten } = await dst.write(p.data, at, p.data.length - at, p.offset + shift + at);
          at += bytesWritten;
        }
        written += p.data.length;
      }
      read += bytesRead;
      opts.onRead?.(read);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  return written;
}
