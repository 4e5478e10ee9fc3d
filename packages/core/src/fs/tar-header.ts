// Reading tar headers: the field rules every tar reader in mantle needs (ore reads OVAs in place,
// plume scans rootfs tarballs as they stream by). POSIX ustar and GNU's formats share the 512-byte
// header; they differ in the magic (`ustar\0` + `00` vs GNU's `ustar  \0`), in where a long name's
// first part goes (ustar's 155-byte prefix; GNU's `L` entries) and in large numbers (GNU writes
// values past 11 octal digits in base-256, the first byte's high bit set).

export const TAR_BLOCK = 512;

/** A NUL-terminated text field of a header (the whole field when it has no NUL). */
export function tarText(h: Buffer, off: number, len: number): string {
  const end = h.indexOf(0, off);
  return h.toString('utf8', off, end >= 0 && end < off + len ? end : off + len);
}

/** A numeric field: octal text, or GNU base-256 for sizes of 8 GiB and more. */
export function tarNumber(h: Buffer, off: number, len: number): number {
  if ((h[off]! & 0x80) !== 0) {
    let n = 0;
    for (let i = off + 1; i < off + len; i++) n = n * 256 + h[i]!;
    return n;
  }
  const s = tarText(h, off, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** Whether a header's checksum holds (the sum of its bytes, the checksum field read as spaces). */
export function tarChecksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === tarNumber(h, 148, 8);
}

/** Whether a header carries the ustar magic (POSIX or GNU): what tells a tar from other bytes. */
export function hasUstarMagic(h: Buffer): boolean {
  return h.toString('latin1', 257, 262) === 'ustar';
}

/**
 * A member's name as its header gives it: POSIX ustar's prefix joined to the name field. GNU's
 * headers keep other fields where ustar has the prefix, so theirs is the name field alone.
 */
export function tarHeaderName(h: Buffer): string {
  const posix = hasUstarMagic(h) && h[262] === 0;
  const prefix = posix ? tarText(h, 345, 155) : '';
  const name = tarText(h, 0, 100);
  return prefix ? `${prefix}/${name}` : name;
}

/** Whether a block is all zeros (two of them end an archive). */
export function isZeroBlock(h: Buffer): boolean {
  return h.every((b) => b === 0);
}
