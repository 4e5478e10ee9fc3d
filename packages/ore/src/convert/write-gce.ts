import { open } from 'node:fs/promises';
import { InterruptedError } from '@mantle/core/errors';
import { allocatedRegions, IO_CHUNK, nonZeroRegions, regionBytes } from './data-map.js';
import { ParallelGzip } from './gzip-parallel.js';
import { noProgress, type ProgressFactory } from './progress.js';
import { encodeTarHeader, tarPadding, tarTrailer, type DataRegion } from './tar-oldgnu.js';

/** The member name GCE looks for in an image tarball. */
export const GCE_DISK_NAME = 'disk.raw';

export interface GceTarballOptions {
  signal?: AbortSignal;
  progress?: ProgressFactory;
  /** entry mtime (default: now); pass a fixed date for reproducible tarballs */
  mtime?: Date;
  level?: number;
}

export interface GceTarballResult {
  /** bytes of disk data stored in the tar (the non-zero regions) */
  dataBytes: number;
  /** regions of the sparse map */
  regions: number;
  /** bytes of the .tar.gz */
  size: number;
}

/**
 * Write GCE's image tarball: `disk.raw` as a sparse member of an oldgnu tar, gzip'd, streamed
 * straight from the raw disk (no copy of it). The data map comes first (the header needs it):
 * the file system's allocated extents, less the zero blocks found by one read of them; then only
 * that data is read again and compressed, on every core.
 */
export async function writeGceTarball(
  rawFile: string,
  size: number,
  out: string,
  opts: GceTarballOptions = {},
): Promise<GceTarballResult> {
  const progress = opts.progress ?? noProgress;
  const allocated = await allocatedRegions(rawFile, size, opts.signal ? { signal: opts.signal } : {});
  const src = await open(rawFile, 'r');
  const dst = await open(out, 'w', 0o644);
  try {
    const scan = progress('scan for data', regionBytes(allocated));
    let regions: DataRegion[];
    try {
      regions = await nonZeroRegions(src, allocated, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        onRead: (n) => scan.update(n),
      });
    } finally {
      scan.finish();
    }
    let outPos = 0;
    const gz = new ParallelGzip(
      async (data) => {
        let at = 0;
        while (at < data.length) {
          const { bytesWritten } = await dst.write(data, at, data.length - at, outPos);
          at += bytesWritten;
          outPos += bytesWritten;
        }
      },
      { ...(opts.level !== undefined ? { level: opts.level } : {}) },
    );
    const entry = {
      name: GCE_DISK_NAME,
      size,
      mode: 0o644,
      mtime: opts.mtime ?? new Date(),
      sparse: regions,
    };
    await gz.write(encodeTarHeader(entry));
    const dataBytes = regionBytes(regions);
    const task = progress('compress', dataBytes);
    try {
      let done = 0;
      for (const r of regions) {
        for (let pos = r.offset; pos < r.offset + r.length;) {
          if (opts.signal?.aborted) throw new InterruptedError('abort signal');
          const want = Math.min(IO_CHUNK, r.offset + r.length - pos);
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await src.read(buf, 0, want, pos);
          if (bytesRead !== want) throw new Error(`${rawFile}: short read at ${pos}`);
          await gz.write(buf);
          pos += want;
          done += want;
          task.update(done);
        }
      }
      await gz.write(tarPadding(dataBytes));
      await gz.write(tarTrailer());
      await gz.end();
    } finally {
      task.finish();
    }
    return { dataBytes, regions: regions.length, size: outPos };
  } finally {
    await src.close();
    await dst.close();
  }
}
