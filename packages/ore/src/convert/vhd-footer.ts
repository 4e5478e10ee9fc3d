import { randomBytes } from 'node:crypto';

// The VHD footer (Microsoft "Virtual Hard Disk Image Format Specification", 2006): 512 bytes,
// big-endian. A fixed VHD is the raw disk followed by this footer and nothing else, which is why
// it is what Azure takes: the page blob is the disk plus one sector.

/** Bytes of the footer. */
export const VHD_FOOTER_SIZE = 512;
/** Azure wants the virtual size of a VHD to be a whole number of MiB. */
export const VHD_ALIGNMENT = 1024 * 1024;
/** Seconds between the Unix epoch and the VHD epoch (2000-01-01T00:00:00Z). */
const VHD_EPOCH = 946684800;
// The largest geometry the spec can express: 65535 cylinders, 16 heads, 255 sectors.
const MAX_CHS_SECTORS = 65535 * 16 * 255;

export const VhdDiskType = { fixed: 2, dynamic: 3, differencing: 4 } as const;

/** Cylinders, heads and sectors per track as the spec's appendix computes them. */
export interface Chs {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

/** The spec's CHS algorithm (appendix "CHS Calculation") for a disk of `sectors` 512-byte sectors. */
export function vhdGeometry(sectors: number): Chs {
  const total = Math.min(sectors, MAX_CHS_SECTORS);
  let sectorsPerTrack: number;
  let heads: number;
  let cylTimesHeads: number;
  if (total >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylTimesHeads = Math.floor(total / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylTimesHeads = Math.floor(total / sectorsPerTrack);
    heads = Math.max(4, Math.floor((cylTimesHeads + 1023) / 1024));
    if (cylTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylTimesHeads = Math.floor(total / sectorsPerTrack);
    }
    if (cylTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylTimesHeads = Math.floor(total / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylTimesHeads / heads), heads, sectorsPerTrack };
}

/** The fields of a footer that matter to readers. */
export interface VhdFooter {
  /** bytes of the virtual disk ("current size") */
  size: number;
  diskType: number;
  geometry: Chs;
  creatorApp: string;
  /** when the image was made */
  timestamp: Date;
  uniqueId: Buffer;
  checksumOk: boolean;
}

export interface EncodeVhdFooterOptions {
  /** default: now */
  timestamp?: Date;
  /** 16 bytes; random by default */
  uniqueId?: Buffer;
  /**
   * `max` (default): the largest geometry, which tells qemu-style readers to use the current size
   * (what `qemu-img -o force_size` and so Flatcar's Azure images carry); `chs`: the spec's CHS
   * for the size, which Virtual PC-era readers use as the size.
   */
  geometry?: 'max' | 'chs';
}

/**
 * The footer of a fixed VHD of `size` bytes. The creator application "qem2" and the maximum
 * geometry make qemu (and the tools that follow its table) take the size from "current size"
 * rather than from the CHS geometry, which cannot express most sizes exactly — the footer
 * `qemu-img convert -O vpc -o subformat=fixed,force_size` writes. Azure reads the current size.
 */
export function encodeVhdFooter(size: number, opts: EncodeVhdFooterOptions = {}): Buffer {
  if (!Number.isSafeInteger(size) || size <= 0 || size % 512 !== 0) {
    throw new RangeError(`VHD size ${size} is not a positive multiple of 512`);
  }
  const f = Buffer.alloc(VHD_FOOTER_SIZE);
  f.write('conectix', 0, 'latin1');
  f.writeUInt32BE(0x00000002, 8); // features: the "reserved" bit the spec says is always set
  f.writeUInt32BE(0x00010000, 12); // format version 1.0
  f.writeBigUInt64BE(0xffffffffffffffffn, 16); // data offset: none for a fixed disk
  const seconds = Math.floor((opts.timestamp ?? new Date()).getTime() / 1000) - VHD_EPOCH;
  f.writeUInt32BE(Math.max(0, seconds) >>> 0, 24);
  f.write('qem2', 28, 'latin1');
  f.writeUInt32BE(0x00050003, 32); // creator version (what qemu writes)
  f.write('Wi2k', 36, 'latin1'); // creator host OS
  f.writeBigUInt64BE(BigInt(size), 40); // original size
  f.writeBigUInt64BE(BigInt(size), 48); // current size
  const chs =
    opts.geometry === 'chs' ? vhdGeometry(size / 512) : { cylinders: 65535, heads: 16, sectorsPerTrack: 255 };
  f.writeUInt16BE(chs.cylinders, 56);
  f.writeUInt8(chs.heads, 58);
  f.writeUInt8(chs.sectorsPerTrack, 59);
  f.writeUInt32BE(VhdDiskType.fixed, 60);
  const id = opts.uniqueId ?? randomBytes(16);
  id.copy(f, 68, 0, 16);
  // saved state (byte 84) and the reserved rest stay zero
  f.writeUInt32BE(vhdChecksum(f), 64);
  return f;
}

/** One's complement of the byte sum of the footer with its checksum field taken as zero. */
export function vhdChecksum(footer: Buffer): number {
  let sum = 0;
  for (let i = 0; i < VHD_FOOTER_SIZE; i++) if (i < 64 || i >= 68) sum += footer[i]!;
  return ~sum >>> 0;
}

/** Parse a footer; undefined when the bytes are not one (no "conectix" cookie). */
export function decodeVhdFooter(buf: Buffer): VhdFooter | undefined {
  if (buf.length < VHD_FOOTER_SIZE || buf.toString('latin1', 0, 8) !== 'conectix') return undefined;
  return {
    size: Number(buf.readBigUInt64BE(48)),
    diskType: buf.readUInt32BE(60),
    geometry: { cylinders: buf.readUInt16BE(56), heads: buf[58]!, sectorsPerTrack: buf[59]! },
    creatorApp: buf.toString('latin1', 28, 32),
    timestamp: new Date((buf.readUInt32BE(24) + VHD_EPOCH) * 1000),
    uniqueId: Buffer.from(buf.subarray(68, 84)),
    checksumOk: vhdChecksum(buf) === buf.readUInt32BE(64),
  };
}

/** `size` rounded up to the VHD alignment Azure requires. */
export function alignVhdSize(size: number): number {
  return Math.ceil(size / VHD_ALIGNMENT) * VHD_ALIGNMENT;
}
