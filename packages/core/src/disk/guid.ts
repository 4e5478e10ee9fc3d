import { randomUUID } from 'node:crypto';

// GPT stores GUIDs "mixed-endian": the first three fields little-endian, the last two as bytes.
// Everything outside this module handles GUIDs as canonical upper-case strings, as sfdisk prints them.

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The all-zero GUID: an unused GPT entry has this type. */
export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** True when `s` is a GUID in 8-4-4-4-12 hex form. */
export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}

/** Canonical (upper-case) form of a GUID string; throws a plain Error when it is not one. */
export function normalizeGuid(s: string): string {
  if (!isGuid(s)) throw new Error(`not a GUID: ${JSON.stringify(s)}`);
  return s.toUpperCase();
}

/** A fresh random (version 4) GUID, upper-case. */
export function randomGuid(): string {
  return randomUUID().toUpperCase();
}

/** Encode a GUID string into 16 bytes at `offset` of `buf`, GPT (mixed-endian) byte order. */
export function writeGuid(buf: Uint8Array, offset: number, guid: string): void {
  const hex = normalizeGuid(guid).replace(/-/g, '');
  const bytes = Buffer.from(hex, 'hex');
  // time_low (4), time_mid (2), time_hi (2) are little-endian; the rest is stored as written.
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  for (let i = 0; i < 16; i++) buf[offset + i] = bytes[order[i]!]!;
}

/** Decode 16 bytes at `offset` (GPT byte order) into an upper-case GUID string. */
export function readGuid(buf: Uint8Array, offset: number): string {
  const b = (i: number): string => buf[offset + i]!.toString(16).padStart(2, '0');
  const s =
    b(3) +
    b(2) +
    b(1) +
    b(0) +
    '-' +
    b(5) +
    b(4) +
    '-' +
    b(7) +
    b(6) +
    '-' +
    b(8) +
    b(9) +
    '-' +
    b(10) +
    b(11) +
    b(12) +
    b(13) +
    b(14) +
    b(15);
  return s.toUpperCase();
}
