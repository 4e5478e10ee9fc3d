import { resolve } from 'node:path';
import { InputError } from '../errors/mantle-error.js';
import { requireTool } from '../exec/require-tool.js';
import { run } from '../exec/run.js';
import type { FormatGuess } from './detect.js';

/** A virtual disk size and where it came from. */
export interface VirtualSize {
  bytes: number;
  source: 'file size' | 'qcow2 header' | 'vhd footer' | 'vmdk header' | 'qemu-img info' | 'gpt header';
}

/**
 * The virtual size from the bytes we already have: qcow2 header (u64 BE at 24), VHD footer
 * "current size" (u64 BE at 48), sparse VMDK capacity (u64 LE sectors at 12), or the file size
 * of a raw image. Undefined when only qemu-img can tell (VMDK descriptor, VHDX).
 */
export function virtualSizeFromHeaders(
  guess: FormatGuess,
  head: Buffer,
  tail: Buffer,
  fileSize: number,
): VirtualSize | undefined {
  switch (guess.format) {
    case 'raw':
      return { bytes: fileSize, source: 'file size' };
    case 'qcow2':
      return head.length >= 32
        ? { bytes: safe(head.readBigUInt64BE(24)), source: 'qcow2 header' }
        : undefined;
    case 'vhd': {
      const footer =
        tail.length >= 512 && tail.toString('latin1', tail.length - 512, tail.length - 504) === 'conectix'
          ? tail.subarray(tail.length - 512)
          : head;
      return footer.length >= 56
        ? { bytes: safe(footer.readBigUInt64BE(48)), source: 'vhd footer' }
        : undefined;
    }
    case 'vmdk':
      return guess.subformat === 'sparse' && head.length >= 20
        ? { bytes: safe(head.readBigUInt64LE(12)) * 512, source: 'vmdk header' }
        : undefined;
    default:
      return undefined;
  }
}

/** The virtual size as `qemu-img info --output=json` reports it. */
export async function qemuImgVirtualSize(file: string, format?: string): Promise<VirtualSize> {
  const info = await qemuImgInfo(file, format);
  return { bytes: info['virtual-size'], source: 'qemu-img info' };
}

/** `qemu-img info --output=json` of a file (exit 2 when qemu-img cannot read it). */
export async function qemuImgInfo(
  file: string,
  format?: string,
): Promise<{ 'virtual-size': number; format: string; [k: string]: unknown }> {
  const qemuImg = await requireTool('qemu-img', {
    debianPackage: 'qemu-utils',
    purpose: 'read virtual disk images',
  });
  const res = await run(
    qemuImg,
    ['info', '--output=json', ...(format ? ['-f', format] : []), resolve(file)],
    { reject: false, timeoutMs: 60_000 },
  );
  if (res.exitCode !== 0) {
    throw new InputError({
      code: 'IMAGE_UNREADABLE',
      message: `qemu-img cannot read ${file}: ${res.stderr.trim().split('\n').pop() ?? ''}`,
      hint: 'the image is corrupt or not in the format its header claims',
      details: { file },
    });
  }
  return JSON.parse(res.stdout) as { 'virtual-size': number; format: string };
}

function safe(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}
