import { stat } from 'node:fs/promises';
import { run } from '@mantle/core/exec';

/**
 * Copy a raw disk file sparse: `cp --sparse=always --reflink=auto`, which clones where the file
 * system can (btrfs, XFS), else walks the data extents (SEEK_DATA/SEEK_HOLE, which Node cannot
 * ask for) and leaves holes for zero blocks. One small process does map and copy: measured on
 * the 12 GiB systemd test image (250 MiB of data), 3-4× faster than `qemu-img map` plus a
 * copy of the map's extents in Node, whose cost was mostly starting qemu-img. `onProgress` gets
 * the allocated bytes of the copy so far (polled; the source's allocated bytes are the total).
 */
export async function sparseCopyFile(
  src: string,
  dst: string,
  opts: { signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<{ allocatedBytes: number }> {
  const total = (await stat(src)).blocks * 512;
  const poll = opts.onProgress
    ? setInterval(() => {
        stat(dst).then(
          (s) => opts.onProgress?.(Math.min(total, s.blocks * 512)),
          () => undefined,
        );
      }, 250)
    : undefined;
  try {
    await run('cp', ['--sparse=always', '--reflink=auto', '--no-preserve=mode', '--', src, dst], {
      debianPackage: 'coreutils',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } finally {
    if (poll) clearInterval(poll);
  }
  const allocatedBytes = (await stat(dst)).blocks * 512;
  opts.onProgress?.(total);
  return { allocatedBytes };
}
