import { bufferSource, openFileSource, type BlockSource } from '../disk/block-source.js';
import { readGpt, type GptTable } from '../disk/gpt/index.js';
import { decodeMbr, type MbrPartition } from '../disk/mbr.js';
import { usrStateOf, type UsrState } from '../disk/usr-ab.js';
import { InputError } from '../errors/mantle-error.js';
import type { Logger } from '../log/logger.js';
import { readDecompressedHead } from './decompress.js';
import {
  detectCompression,
  detectFormat,
  readHeadAndTail,
  type Compression,
  type ImageFormat,
} from './detect.js';
import { qemuImageSource, qemuFormatName } from './qemu-source.js';
import { qemuImgVirtualSize, virtualSizeFromHeaders, type VirtualSize } from './virtual-size.js';

// How much of a compressed image we decompress to look inside: the primary GPT of a 4Kn disk
// ends at 24 KiB; a qcow2/VMDK header is at the start.
const COMPRESSED_HEAD_BYTES = 1024 * 1024;

/** Everything `ore image info` reports about an image file. */
export interface ImageInspection {
  file: string;
  fileSize: number;
  compression: Compression;
  format: ImageFormat;
  subformat?: string;
  /** what the format was recognised by */
  evidence: string;
  virtualSize?: VirtualSize;
  partitionTable: 'gpt' | 'mbr' | 'none';
  gpt?: GptTable;
  mbr?: MbrPartition[];
  /** Flatcar USR-A/USR-B state when the image has those partitions */
  usr?: UsrState;
  warnings: string[];
}

export interface InspectOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** skip reading partition tables inside qcow2/VMDK/VHDX (they need qemu-img) */
  noQemu?: boolean;
}

/**
 * Detect an image's compression and format, its virtual size, and read its partition table
 * (raw and fixed VHD directly; qcow2/VMDK/dynamic VHD through qemu-img; compressed images from
 * the decompressed head, primary GPT only). A file that is none of these is NOT_A_DISK_IMAGE (exit 2).
 */
export async function inspectImage(file: string, opts: InspectOptions = {}): Promise<ImageInspection> {
  const { head: fileHead, tail, size: fileSize } = await readHeadAndTail(file);
  const compression = detectCompression(fileHead);
  const warnings: string[] = [];

  if (compression !== 'none') {
    const head = await readDecompressedHead(
      file,
      compression,
      COMPRESSED_HEAD_BYTES,
      opts.signal ? { signal: opts.signal } : {},
    );
    const guess = detectFormat(head);
    const result: ImageInspection = {
      file,
      fileSize,
      compression,
      format: guess.format,
      evidence: `${compression}-compressed; ${guess.evidence}`,
      partitionTable: 'none',
      warnings,
    };
    if (guess.subformat) result.subformat = guess.subformat;
    if (guess.format === 'unknown')
      throw notADiskImage(
        file,
        `it is ${compression}-compressed, but the content has no known disk image signature`,
      );
    if (guess.format !== 'raw') {
      const vs = virtualSizeFromHeaders(guess, head, Buffer.alloc(0), 0);
      if (vs) result.virtualSize = vs;
      warnings.push(`partitions of a compressed ${guess.format} image are not read; decompress it first`);
      return result;
    }
    if (guess.subformat === 'gpt') {
      const gpt = await readGpt(bufferSource(file, head), { primaryOnly: true });
      const ss = gpt.sectorSize;
      gpt.diskSize = (gpt.backup.lba + 1) * ss;
      gpt.lastLba = gpt.backup.lba;
      gpt.backup = {
        lba: gpt.backup.lba,
        ok: false,
        problem: {
          code: 'GPT_BACKUP_UNCHECKED',
          message: 'the backup GPT at the end of a compressed image is not read',
        },
      };
      result.gpt = gpt;
      result.partitionTable = 'gpt';
      result.virtualSize = { bytes: gpt.diskSize, source: 'gpt header' };
      addUsr(result);
      warnings.push('compressed image: only the primary GPT was checked');
    } else if (guess.subformat === 'mbr') {
      result.mbr = decodeMbr(head);
      result.partitionTable = 'mbr';
    }
    return result;
  }

  let guess = detectFormat(fileHead, tail);
  // A disk whose first sectors were wiped may still carry its backup GPT in the last sector.
  if (guess.format === 'unknown' && tail.length === 512 && tail.toString('latin1', 0, 8) === 'EFI PART') {
    guess = {
      format: 'raw',
      subformat: 'gpt',
      evidence: 'backup GPT header in the last sector (the start of the disk is damaged)',
    };
  }
  if (guess.format === 'unknown')
    throw notADiskImage(file, 'no partition table, filesystem or virtual disk signature found');
  const result: ImageInspection = {
    file,
    fileSize,
    compression,
    format: guess.format,
    evidence: guess.evidence,
    partitionTable: 'none',
    warnings,
  };
  if (guess.subformat) result.subformat = guess.subformat;
  result.virtualSize =
    virtualSizeFromHeaders(guess, fileHead, tail, fileSize) ??
    (opts.noQemu ? undefined : await qemuImgVirtualSize(file, qemuFormatName(guess.format)));
  if (result.virtualSize === undefined) delete result.virtualSize;

  let src: BlockSource | undefined;
  if (guess.format === 'raw') {
    const mbr = decodeMbr(fileHead);
    if (guess.subformat === 'gpt' || mbr.some((p) => p.type === 0xee)) src = await openFileSource(file);
    else if (mbr.length > 0) {
      result.mbr = mbr;
      result.partitionTable = 'mbr';
    }
  } else if (guess.format === 'vhd' && guess.subformat === 'fixed') {
    // A fixed VHD is the raw disk followed by a 512-byte footer.
    src = await openFileSource(file, { size: fileSize - 512 });
  } else if (!opts.noQemu && result.virtualSize) {
    src = qemuImageSource(file, guess.format, result.virtualSize.bytes);
  }
  if (src) {
    try {
      const sector0 = await src.read(0, 512);
      const mbr = decodeMbr(sector0);
      if (guess.format === 'raw' || mbr.some((p) => p.type === 0xee) || (await looksLikeGpt(src))) {
        result.gpt = await readGpt(src);
        result.partitionTable = 'gpt';
        addUsr(result);
      } else if (mbr.length > 0) {
        result.mbr = mbr;
        result.partitionTable = 'mbr';
      }
    } finally {
      await src.close();
    }
  }
  return result;
}

async function looksLikeGpt(src: BlockSource): Promise<boolean> {
  const h = await src.read(512, 8);
  return h.toString('latin1') === 'EFI PART';
}

function addUsr(result: ImageInspection): void {
  if (!result.gpt) return;
  const usr = usrStateOf(result.gpt);
  if (usr.slots.length > 0) result.usr = usr;
}

function notADiskImage(file: string, why: string): InputError {
  return new InputError({
    code: 'NOT_A_DISK_IMAGE',
    message: `${file} is not a disk image: ${why}`,
    hint: 'pass a raw, qcow2, VHD or VMDK image (optionally gz/bz2/xz/zst/lz4 compressed)',
    details: { file },
  });
}
