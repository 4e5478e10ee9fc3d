import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform, pipeline as pipe, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '@mantle/core/errors';
import type { ObjectInfo, PutOptions, PutResult, PutSource } from './types.js';

/** A put source with what is known about it before the upload starts. */
export type PreparedSource =
  | { kind: 'buffer'; buffer: Buffer; size: number; sha256: string }
  | { kind: 'file'; path: string; size: number; mtimeMs: number; sha256: string | undefined }
  | { kind: 'stream'; stream: Readable; size: number | undefined; sha256: string | undefined };

/** Hex sha256 of a local file, read once as a stream. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), h, { signal });
  return h.digest('hex');
}

/** Hex sha256 of bytes. */
function sha256Bytes(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Normalize a put source: buffers get their size and sha256 up front, and so do files when
 * `hashFile` is set (a file is then read once to hash it, which is what lets reruns skip and lets
 * the clouds carry the hash in the object's metadata); a stream keeps the caller's size/sha256.
 */
export async function prepareSource(
  source: PutSource,
  opts: PutOptions = {},
  hashFile = true,
): Promise<PreparedSource> {
  if (typeof source === 'string') {
    let st;
    try {
      st = await stat(source);
    } catch (err) {
      throw new InputError({
        code: 'STORAGE_SOURCE_NOT_FOUND',
        message: `upload source '${source}' cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        hint: 'check the path of the local file to upload',
        cause: err,
      });
    }
    if (!st.isFile()) {
      throw new InputError({
        code: 'STORAGE_SOURCE_NOT_FILE',
        message: `upload source '${source}' is not a regular file`,
        hint: 'give the path of a file, or pass a stream',
      });
    }
    const sha256 = opts.sha256 ?? (hashFile ? await sha256File(source, opts.signal) : undefined);
    return { kind: 'file', path: source, size: st.size, mtimeMs: st.mtimeMs, sha256 };
  }
  if (source instanceof Readable) {
    return { kind: 'stream', stream: source, size: opts.size, sha256: opts.sha256 };
  }
  if (source instanceof Uint8Array) {
    const buffer = Buffer.isBuffer(source)
      ? source
      : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    return { kind: 'buffer', buffer, size: buffer.length, sha256: sha256Bytes(buffer) };
  }
  throw new InputError({
    code: 'STORAGE_BAD_SOURCE',
    message: 'upload source is neither a stream, a Buffer nor a file path',
    hint: 'pass a Readable, a Buffer/Uint8Array or the path of a local file',
  });
}

/** A fresh stream over a prepared source (files are reopened, so a retry can read them again). */
export function openSource(src: PreparedSource, highWaterMark = 1 << 20): Readable {
  switch (src.kind) {
    case 'buffer':
      return Readable.from([src.buffer]);
    case 'file':
      return createReadStream(src.path, { highWaterMark });
    case 'stream':
      return src.stream;
  }
}

/** A pass-through that hashes and counts what flows through it. */
export class HashCounter extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly onBytes?: (total: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }
  /** the hex digest; call once, after the stream ended */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Feed a source through a HashCounter for an SDK that consumes a stream. Unlike `.pipe()`, a source
 * error destroys the counter with that error, so the SDK sees the failure instead of waiting forever.
 */
export function hashedBody(source: Readable): HashCounter {
  const counter = new HashCounter();
  pipe(source, counter, () => undefined);
  return counter;
}

/** Whether an existing object is byte-identical to the source, judged by size and sha256. */
export function sameContent(
  existing: { size: number; sha256?: string | undefined } | undefined,
  src: { size: number | undefined; sha256: string | undefined },
): boolean {
  return (
    existing !== undefined &&
    src.sha256 !== undefined &&
    existing.sha256 !== undefined &&
    src.size !== undefined &&
    existing.size === src.size &&
    existing.sha256.toLowerCase() === src.sha256.toLowerCase()
  );
}

/** Whether a file source still has the size and mtime it had when it was hashed. */
export async function fileUnchanged(src: { path: string; size: number; mtimeMs: number }): Promise<boolean> {
  const st = await stat(src.path).catch(() => undefined);
  return st !== undefined && st.size === src.size && st.mtimeMs === src.mtimeMs;
}

/** The explicitly requested headers that an existing object lacks, or undefined when it has them all. */
function headerChanges(
  existing: { contentType?: string | undefined; cacheControl?: string | undefined },
  opts: { contentType?: string | undefined; cacheControl?: string | undefined },
): { contentType?: string; cacheControl?: string } | undefined {
  const ct = opts.contentType !== undefined && opts.contentType !== existing.contentType;
  const cc = opts.cacheControl !== undefined && opts.cacheControl !== existing.cacheControl;
  if (!ct && !cc) return undefined;
  return {
    ...(ct || existing.contentType ? { contentType: ct ? opts.contentType : existing.contentType } : {}),
    ...(cc || existing.cacheControl ? { cacheControl: cc ? opts.cacheControl : existing.cacheControl } : {}),
  };
}

/**
 * The skip-if-same step every cloud store's put() shares: when the stored object has the same
 * size and sha256, only changed headers are written (through `applyHeaders`, which is what
 * differs per cloud) and a skipped result is returned; otherwise undefined and the put uploads.
 */
export async function skipIfUnchanged(
  key: string,
  src: { size: number | undefined; sha256: string | undefined },
  opts: PutOptions,
  stat: () => Promise<ObjectInfo | undefined>,
  applyHeaders: (
    existing: ObjectInfo,
    change: { contentType?: string; cacheControl?: string },
  ) => Promise<void>,
  onSkip: () => void,
): Promise<PutResult | undefined> {
  if (!opts.skipIfSame || src.sha256 === undefined) return undefined;
  const existing = await stat();
  if (!existing || !sameContent(existing, src)) return undefined;
  onSkip();
  const change = headerChanges(existing, opts);
  if (change) await applyHeaders(existing, change);
  return {
    key,
    skipped: true,
    ...(change ? { metadataUpdated: true } : {}),
    size: existing.size,
    sha256: src.sha256,
    ...(existing.etag ? { etag: existing.etag } : {}),
  };
}
