// GNU tar's "oldgnu" format, the one Google Compute Engine asks for (`tar --format=oldgnu -Sczf`):
// ustar-like 512-byte headers with the magic "ustar  \0", and sparse files as type 'S' whose header
// carries the first four (offset, length) pairs of the data map, extension blocks 21 pairs each,
// then only the data of those regions. Numbers too large for 11 octal digits (sizes and offsets
// past 8 GiB) are written in GNU's base-256 form: the first byte 0x80, then the value big-endian.

import { TAR_BLOCK } from '@mantle/core/fs';

/** A region of a file that holds data; the rest of the file is zeros (holes). */
export interface DataRegion {
  offset: number;
  length: number;
}

export interface TarEntry {
  name: string;
  /** the size of the file as extracted */
  size: number;
  mode?: number;
  mtime?: Date;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** the data map of a sparse entry (sorted, non-overlapping); absent for a plain file */
  sparse?: readonly DataRegion[];
}

const HEADER_SPARSE_SLOTS = 4;
const EXTENSION_SPARSE_SLOTS = 21;

/** The header block(s) of one entry; for a sparse entry the extension blocks follow the header. */
export function encodeTarHeader(entry: TarEntry): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length === 0 || name.length > 100) {
    throw new RangeError(`tar entry name ${JSON.stringify(entry.name)} must be 1..100 bytes`);
  }
  const h = Buffer.alloc(TAR_BLOCK);
  name.copy(h, 0);
  writeNumber(h, 100, 8, entry.mode ?? 0o644);
  writeNumber(h, 108, 8, entry.uid ?? 0);
  writeNumber(h, 116, 8, entry.gid ?? 0);
  const map = entry.sparse ? sparseMap(entry.sparse, entry.size) : undefined;
  const stored = map ? map.reduce((n, r) => n + r.length, 0) : entry.size;
  writeNumber(h, 124, 12, stored);
  writeNumber(h, 136, 12, Math.floor((entry.mtime ?? new Date()).getTime() / 1000));
  h.write(map ? 'S' : '0', 156, 'latin1');
  h.write('ustar  \0', 257, 'latin1');
  h.write((entry.uname ?? 'root').slice(0, 31), 265, 'utf8');
  h.write((entry.gname ?? 'root').slice(0, 31), 297, 'utf8');
  const blocks = [h];
  if (map) {
    for (let i = 0; i < Math.min(HEADER_SPARSE_SLOTS, map.length); i++) {
      writeNumber(h, 386 + i * 24, 12, map[i]!.offset);
      writeNumber(h, 386 + i * 24 + 12, 12, map[i]!.length);
    }
    writeNumber(h, 483, 12, entry.size);
    let rest = map.slice(HEADER_SPARSE_SLOTS);
    h[482] = rest.length > 0 ? 1 : 0;
    while (rest.length > 0) {
      const ext = Buffer.alloc(TAR_BLOCK);
      const here = rest.slice(0, EXTENSION_SPARSE_SLOTS);
      here.forEach((r, i) => {
        writeNumber(ext, i * 24, 12, r.offset);
        writeNumber(ext, i * 24 + 12, 12, r.length);
      });
      rest = rest.slice(EXTENSION_SPARSE_SLOTS);
      ext[504] = rest.length > 0 ? 1 : 0;
      blocks.push(ext);
    }
  }
  // The checksum is computed with its own field taken as eight spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return Buffer.concat(blocks);
}

// GNU tar ends the map of a file that ends in a hole with an empty region at the end of the file,
// so extractors size the file right from the map alone.
function sparseMap(regions: readonly DataRegion[], size: number): DataRegion[] {
  const map = regions.filter((r) => r.length > 0);
  const last = map[map.length - 1];
  if (!last || last.offset + last.length < size) map.push({ offset: size, length: 0 });
  return map;
}

/** Bytes of data a sparse (or plain) entry stores after its header, before padding. */
export function storedSize(entry: Pick<TarEntry, 'size' | 'sparse'>): number {
  return entry.sparse ? entry.sparse.reduce((n, r) => n + r.length, 0) : entry.size;
}

/** The zero bytes that pad `n` bytes of data to a whole block. */
export function tarPadding(n: number): Buffer {
  return Buffer.alloc((TAR_BLOCK - (n % TAR_BLOCK)) % TAR_BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export function tarTrailer(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}

function writeNumber(buf: Buffer, offset: number, width: number, value: number): void {
  const octalDigits = width - 1;
  if (value < 8 ** octalDigits) {
    buf.write(value.toString(8).padStart(octalDigits, '0') + '\0', offset, 'latin1');
    return;
  }
  // base-256: 0x80 marker, value big-endian in the remaining bytes
  let v = BigInt(value);
  for (let i = width - 1; i > 0; i--) {
    buf[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  buf[offset] = 0x80;
}
