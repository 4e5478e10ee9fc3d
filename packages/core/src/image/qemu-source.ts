import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BlockSource } from '../disk/block-source.js';
import { withTempDir } from '../disk/partition-ref.js';
import { requireTool } from '../exec/require-tool.js';
import { run } from '../exec/run.js';

/** qemu's driver name for a detected format. */
export function qemuFormatName(format: string): string {
  return format === 'vhd' ? 'vpc' : format;
}

/**
 * Random access to the virtual disk inside a qcow2/VMDK/VHD through `qemu-img dd`, one small copy
 * per read (GPT reads touch a few KiB at the start and the end). Reads are widened to 512-byte
 * sectors.
 */
export function qemuImageSource(file: string, format: string, virtualSize: number): BlockSource {
  return {
    name: file,
    size: virtualSize,
    read: async (position, length) => {
      const want = Math.max(0, Math.min(length, virtualSize - position));
      if (want === 0) return Buffer.alloc(0);
      const first = Math.floor(position / 512);
      const last = Math.ceil((position + want) / 512);
      const qemuImg = await requireTool('qemu-img', {
        debianPackage: 'qemu-utils',
        purpose: 'read virtual disk images',
      });
      return withTempDir('mantle-qemu-dd-', async (dir) => {
        const out = join(dir, 'out.raw');
        // qemu-img dd (7.x) treats count as the end block when skip is given; newer versions
        // count from skip and copy more than asked, which the slice below drops either way.
        await run(
          qemuImg,
          [
            'dd',
            '-f',
            qemuFormatName(format),
            '-O',
            'raw',
            'bs=512',
            `skip=${first}`,
            `count=${last}`,
            `if=${resolve(file)}`,
            `of=${out}`,
          ],
          { timeoutMs: 60_000 },
        );
        const data = await readFile(out);
        const start = position - first * 512;
        return data.subarray(start, start + want);
      });
    },
    close: () => Promise.resolve(),
  };
}
