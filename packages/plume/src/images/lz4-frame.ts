import { Transform, type TransformCallback } from 'node:stream';
import { xxh32 } from './xxh32.js';

// One LZ4 frame (what `lz4` and `tar -I lz4` write, and what metal-stack's installers read),
// written as a stream: input is cut into independent 4 MiB blocks, each compressed by lz4-napi
// (lz4_flex in Rust, on libuv's thread pool, several blocks in flight so compression runs beside
// hashing and I/O), and emitted in order. No content size (the input is a stream) and no
// content checksum: the image store's checksum file covers the bytes.

/** The block sizes the frame format allows, by their BD code. */
const BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
/** The default block size (lz4's default too). */
export const LZ4_BLOCK_SIZE = 4 << 20;
const MAGIC = 0x184d2204;
const UNCOMPRESSED_FLAG = 0x80000000;

type CompressFn = (data: Uint8Array) => Promise<Buffer>;

let lib: Promise<CompressFn> | undefined;
// The native module loads only when an image is compressed, not when plume starts.
function loadCompress(): Promise<CompressFn> {
  lib ??= import('lz4-napi').then((m) => m.compress);
  return lib;
}

/** The frame header: magic, FLG (version 01, independent blocks), BD (block max size), header checksum. */
export function frameHeader(blockSize = LZ4_BLOCK_SIZE): Buffer {
  const bd = Number(Object.keys(BLOCK_SIZES).find((k) => BLOCK_SIZES[Number(k)] === blockSize));
  if (!bd) throw new RangeError(`LZ4 block size ${blockSize}: use 64 KiB, 256 KiB, 1 MiB or 4 MiB`);
  const h = Buffer.alloc(7);
  h.writeUInt32LE(MAGIC, 0);
  h[4] = 0x60; // version 01, block independence
  h[5] = bd << 4;
  h[6] = (xxh32(h.subarray(4, 6)) >>> 8) & 0xff;
  return h;
}

/** One data block: its size word, then lz4_flex's block without its 4-byte size prefix (or the raw bytes when that is not smaller). */
function block(raw: Uint8Array, sizePrefixed: Buffer): Buffer[] {
  const compressed = sizePrefixed.subarray(4);
  const word = Buffer.alloc(4);
  if (compressed.length >= raw.length) {
    word.writeUInt32LE((raw.length | UNCOMPRESSED_FLAG) >>> 0, 0);
    return [word, Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)];
  }
  word.writeUInt32LE(compressed.length, 0);
  return [word, compressed];
}

/** A Transform from bytes to one LZ4 frame; `inFlight` blocks compress at once (default 4). */
export class Lz4FrameEncoder extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly queue: { raw: Buffer; done: Promise<Buffer> }[] = [];
  private started = false;

  constructor(
    private readonly blockSize = LZ4_BLOCK_SIZE,
    private readonly inFlight = 4,
  ) {
    super({ highWaterMark: blockSize });
    frameHeader(blockSize); // checks the size
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.drainFull().then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    (async () => {
      await this.drainFull();
      if (this.pendingBytes > 0) await this.enqueue(Buffer.concat(this.pending, this.pendingBytes));
      this.pending = [];
      this.pendingBytes = 0;
      while (this.queue.length > 0) await this.emitOldest();
      if (!this.started) this.push(frameHeader(this.blockSize));
      this.push(Buffer.alloc(4)); // end mark
    })().then(() => cb(), cb);
  }

  private async drainFull(): Promise<void> {
    const size = this.blockSize;
    while (this.pendingBytes >= size) {
      // Input chunks of a block's size (a read stream of that highWaterMark) are used as they are, no copy.
      const first = this.pending[0]!;
      const all = first.length >= size ? first : Buffer.concat(this.pending, this.pendingBytes);
      const rest = all.subarray(size);
      this.pending =
        all === first
          ? [...(rest.length > 0 ? [rest] : []), ...this.pending.slice(1)]
          : rest.length > 0
            ? [rest]
            : [];
      this.pendingBytes -= size;
      await this.enqueue(all.subarray(0, size));
    }
  }

  // lz4-napi reads the buffer on another thread; stream chunks are never written to after they
  // are pushed, so the bytes stay as they were.
  private async enqueue(raw: Buffer): Promise<void> {
    const compress = await loadCompress();
    this.queue.push({ raw, done: compress(raw) });
    if (this.queue.length >= this.inFlight) await this.emitOldest();
  }

  private async emitOldest(): Promise<void> {
    const next = this.queue.shift()!;
    const out = await next.done;
    if (!this.started) {
      this.started = true;
      this.push(frameHeader(this.blockSize));
    }
    for (const b of block(next.raw, out)) this.push(b);
  }
}
