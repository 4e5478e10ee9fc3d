import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';

// gzip on every core, the way pigz does it: the input is cut into chunks, each chunk is deflated
// on its own (zlib's thread pool) with the previous chunk's last 32 KiB as preset dictionary and
// ended with a sync flush, so the raw deflate streams concatenate into ONE valid deflate stream;
// the last chunk closes it. One gzip member, one CRC-32 over everything: any gunzip reads it,
// and the ratio stays within a fraction of a percent of single-threaded gzip.

const deflateRawAsync = promisify(deflateRaw);
const WINDOW = 32 * 1024;

export interface ParallelGzipOptions {
  /** zlib level (default 6, gzip's) */
  level?: number;
  /** input bytes per chunk (default 1 MiB) */
  chunkSize?: number;
  /** chunks compressed at once (default: cores + 1) */
  concurrency?: number;
}

/** Where compressed bytes go, in order. */
export type GzipSink = (data: Buffer) => Promise<void>;

/** A gzip writer that compresses chunks in parallel and emits them in order to `sink`. */
export class ParallelGzip {
  private readonly level: number;
  private readonly chunkSize: number;
  private readonly concurrency: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private dictionary: Buffer | undefined;
  private readonly inFlight: Promise<Buffer>[] = [];
  private crc = 0;
  private inputBytes = 0;
  private started = false;
  /** compressed bytes handed to the sink so far */
  outputBytes = 0;

  constructor(
    private readonly sink: GzipSink,
    opts: ParallelGzipOptions = {},
  ) {
    this.level = opts.level ?? 6;
    this.chunkSize = opts.chunkSize ?? 1024 * 1024;
    this.concurrency = opts.concurrency ?? availableParallelism() + 1;
  }

  /** Add input. Resolves when the data is queued (back-pressure: waits while too many chunks are in flight). */
  async write(data: Buffer): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.emit(gzipHeader());
    }
    let at = 0;
    while (at < data.length) {
      const n = Math.min(data.length - at, this.chunkSize - this.pendingBytes);
      this.pending.push(data.subarray(at, at + n));
      this.pendingBytes += n;
      at += n;
      if (this.pendingBytes === this.chunkSize) await this.flushChunk(false);
    }
  }

  /** Compress what is left, close the deflate stream, write the trailer. */
  async end(): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.emit(gzipHeader());
    }
    await this.flushChunk(true);
    while (this.inFlight.length > 0) await this.emit(await this.inFlight.shift()!);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.inputBytes % 2 ** 32, 4);
    await this.emit(trailer);
  }

  private async flushChunk(last: boolean): Promise<void> {
    const chunk = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    // Copy: callers may reuse their buffers once write() resolves.
    const input = Buffer.from(chunk);
    this.crc = crc32(input, this.crc);
    this.inputBytes += input.length;
    const opts = {
      level: this.level,
      finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      ...(this.dictionary ? { dictionary: this.dictionary } : {}),
    };
    this.dictionary = input.length >= WINDOW ? input.subarray(input.length - WINDOW) : undefined;
    this.inFlight.push(deflateRawAsync(input, opts));
    while (this.inFlight.length >= this.concurrency) await this.emit(await this.inFlight.shift()!);
  }

  private async emit(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    this.outputBytes += data.length;
    await this.sink(data);
  }
}

function gzipHeader(): Buffer {
  // magic, deflate, no flags, no mtime (reproducible), no extra flags, OS = Unix
  return Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
}
