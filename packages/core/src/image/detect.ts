import { fileOpenError } from '../disk/block-source.js';
import { open } from 'node:fs/promises';
import { InputError } from '../errors/mantle-error.js';

// Image formats by their magic bytes. Container formats (qcow2, VHD, VMDK) and compressors are
// told apart from a raw disk without reading more than the first 64 KiB and the last 512 bytes.

export const IMAGE_FORMATS = ['raw', 'qcow2', 'vhd', 'vhdx', 'vmdk', 'unknown'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const COMPRESSIONS = ['none', 'gzip', 'bzip2', 'xz', 'zstd', 'lz4'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** What a file's bytes say it is. */
export interface FormatGuess {
  format: ImageFormat;
  /** for vhd: fixed, dynamic or differencing; for vmdk: sparse or descriptor */
  subformat?: string;
  /** what made us decide (for `info` output and debugging) */
  evidence: string;
}

/** How much of the head of a file detection looks at. */
export const DETECT_HEAD_BYTES = 64 * 1024;

/** The compression of a file from its first bytes, or 'none'. */
export function detectCompression(head: Uint8Array): Compression {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 4 && b.toString('latin1', 0, 3) === 'BZh' && b[3]! >= 0x31 && b[3]! <= 0x39) return 'bzip2';
  if (b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    return 'xz';
  if (b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  // LZ4 frame format, and the legacy format `lz4 -l` writes.
  if (b.length >= 4 && (b.readUInt32LE(0) === 0x184d2204 || b.readUInt32LE(0) === 0x184c2102)) return 'lz4';
  return 'none';
}

/**
 * The container format from the head of a (decompressed) image and, when known, its last 512
 * bytes (where a fixed VHD keeps its only footer).
 */
export function detectFormat(head: Uint8Array, tail?: Uint8Array): FormatGuess {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 4 && b.readUInt32BE(0) === 0x514649fb)
    return { format: 'qcow2', evidence: 'QFI\\xfb magic at byte 0' };
  if (b.length >= 8 && b.toString('latin1', 0, 8) === 'vhdxfile')
    return { format: 'vhdx', evidence: '"vhdxfile" at byte 0' };
  if (b.length >= 4 && b.toString('latin1', 0, 4) === 'KDMV')
    return { format: 'vmdk', subformat: 'sparse', evidence: 'KDMV magic at byte 0' };
  if (b.length >= 21 && b.toString('latin1', 0, 21) === '# Disk DescriptorFile')
    return { format: 'vmdk', subformat: 'descriptor', evidence: 'VMDK descriptor text' };
  if (tail && tail.length >= 512) {
    const t = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).subarray(tail.byteLength - 512);
    if (t.toString('latin1', 0, 8) === 'conectix')
      return {
        format: 'vhd',
        subformat: vhdType(t.readUInt32BE(60)),
        evidence: '"conectix" footer in the last 512 bytes',
      };
  }
  // Dynamic and differencing VHDs start with a copy of the footer.
  if (b.length >= 512 && b.toString('latin1', 0, 8) === 'conectix')
    return {
      format: 'vhd',
      subformat: vhdType(b.readUInt32BE(60)),
      evidence: '"conectix" footer copy at byte 0',
    };
  if (b.length >= 520 && b.toString('latin1', 512, 520) === 'EFI PART')
    return { format: 'raw', subformat: 'gpt', evidence: 'GPT header at byte 512' };
  if (b.length >= 4104 && b.toString('latin1', 4096, 4104) === 'EFI PART')
    return { format: 'raw', subformat: 'gpt', evidence: 'GPT header at byte 4096' };
  if (b.length >= 512 && b[510] === 0x55 && b[511] === 0xaa)
    return { format: 'raw', subformat: 'mbr', evidence: 'MBR boot signature 55AA' };
  // Bare filesystem images (sysext .raw files, partition dumps): raw, but without a partition table.
  if (b.length >= 4 && b.toString('latin1', 0, 4) === 'hsqs')
    return { format: 'raw', subformat: 'squashfs', evidence: 'squashfs magic at byte 0' };
  if (b.length >= 1028 && b.readUInt32LE(1024) === 0xe0f5e1e2)
    return { format: 'raw', subformat: 'erofs', evidence: 'erofs magic at byte 1024' };
  if (b.length >= 1082 && b.readUInt16LE(1080) === 0xef53)
    return { format: 'raw', subformat: 'ext', evidence: 'ext2/3/4 superblock magic at byte 1080' };
  if (b.length >= 32774 && b.toString('latin1', 32769, 32774) === 'CD001')
    return { format: 'raw', subformat: 'iso9660', evidence: 'ISO 9660 volume descriptor' };
  return { format: 'unknown', evidence: 'no known magic bytes' };
}

function vhdType(t: number): string {
  return t === 2 ? 'fixed' : t === 3 ? 'dynamic' : t === 4 ? 'differencing' : `type ${t}`;
}

/** The first `DETECT_HEAD_BYTES` and the last 512 bytes of a file, with its size. */
export async function readHeadAndTail(
  file: string,
  headBytes = DETECT_HEAD_BYTES,
): Promise<{ head: Buffer; tail: Buffer; size: number }> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw fileOpenError(file, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() && !st.isBlockDevice()) {
      throw new InputError({
        code: 'NOT_A_FILE',
        message: `${file} is not a regular file`,
        hint: 'pass the path of a disk image file',
        details: { file },
      });
    }
    const head = Buffer.alloc(Math.min(headBytes, st.size));
    if (head.length > 0) await fh.read(head, 0, head.length, 0);
    const tailLen = Math.min(512, st.size);
    const tail = Buffer.alloc(tailLen);
    if (tailLen > 0) await fh.read(tail, 0, tailLen, st.size - tailLen);
    return { head, tail, size: st.size };
  } finally {
    await fh.close();
  }
}
