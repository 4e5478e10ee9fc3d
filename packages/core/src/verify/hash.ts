import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { VerifyError, VerifyErrorCode } from './errors.js';

/** The digests mantle computes and reads from SUMS files. */
export type HashAlgorithm = 'sha256' | 'sha512';

/** Anything bytes can be streamed from. */
export type ByteSource =
  Readable | WebReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

// Big reads: hashing multi-GB images is I/O bound and 64 KiB reads cost syscalls.
const READ_CHUNK = 1 << 20;

/** Hex digest of everything a stream yields. */
export async function hashStream(stream: ByteSource, algorithm: HashAlgorithm = 'sha256'): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of stream as AsyncIterable<Uint8Array>) h.update(chunk);
  return h.digest('hex');
}

/** Hex digest of a file, streamed (constant memory). */
export async function hashFile(path: string, algorithm: HashAlgorithm = 'sha256'): Promise<string> {
  return hashStream(createReadStream(path, { highWaterMark: READ_CHUNK }), algorithm);
}

/** The algorithm a hex digest's length implies (64 → sha256, 128 → sha512). */
export function algorithmOfDigest(hex: string): HashAlgorithm | undefined {
  if (!/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  if (hex.length === 64) return 'sha256';
  if (hex.length === 128) return 'sha512';
  return undefined;
}

/** Hash a file and throw VERIFY_CHECKSUM_MISMATCH (naming it) unless it matches; returns the digest. */
export async function verifyFileDigest(
  path: string,
  expected: string,
  opts: { name?: string; algorithm?: HashAlgorithm } = {},
): Promise<string> {
  const algorithm = opts.algorithm ?? algorithmOfDigest(expected) ?? 'sha256';
  const actual = await hashFile(path, algorithm);
  if (actual !== expected.toLowerCase())
    throw checksumMismatch(opts.name ?? path, algorithm, expected, actual);
  return actual;
}

/** The error for a digest that does not match. */
export function checksumMismatch(
  name: string,
  algorithm: HashAlgorithm,
  expected: string,
  actual: string,
): VerifyError {
  return new VerifyError({
    code: VerifyErrorCode.ChecksumMismatch,
    message: `${name}: ${algorithm} mismatch (expected ${expected.toLowerCase()}, got ${actual})`,
    hint: 'the file is corrupt or was replaced; download it again from a trusted source',
    details: { file: name, algorithm, expected: expected.toLowerCase(), actual },
  });
}
