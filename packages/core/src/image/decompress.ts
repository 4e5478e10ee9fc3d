import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors/mantle-error.js';
import { tailLines } from '../exec/exec-error.js';
import { requireTool } from '../exec/require-tool.js';
import type { Compression } from './detect.js';

// Streaming decompression: gzip in-process (node:zlib), the others through their own tools as
// subprocesses (xz, zstd, lz4 and bzip2 are faster than any JS port and already on build hosts).
// Destroying the returned stream kills the subprocess, so reading only the head of a 10 GiB
// image costs only the head.

const TOOLS: Record<Exclude<Compression, 'none' | 'gzip'>, { bin: string; debianPackage: string }> = {
  xz: { bin: 'xz', debianPackage: 'xz-utils' },
  zstd: { bin: 'zstd', debianPackage: 'zstd' },
  lz4: { bin: 'lz4', debianPackage: 'lz4' },
  bzip2: { bin: 'bzip2', debianPackage: 'bzip2' },
};

export interface DecompressOptions {
  signal?: AbortSignal;
}

/**
 * A stream of the decompressed bytes of `file`. A corrupt input makes the stream fail with an
 * InputError (IMAGE_BAD_COMPRESSION) naming the file; a missing tool rejects with exit 3.
 */
export async function openDecompressedStream(
  file: string,
  compression: Compression,
  opts: DecompressOptions = {},
): Promise<Readable> {
  if (compression === 'none') return createReadStream(file);
  if (compression === 'gzip') {
    const out = new PassThrough();
    const src = createReadStream(file);
    const gunzip = createGunzip();
    const fail = (err: Error): void => {
      out.destroy(badCompression(file, compression, err.message, err));
    };
    src.on('error', fail);
    gunzip.on('error', fail);
    out.on('close', () => {
      src.destroy();
      gunzip.destroy();
    });
    opts.signal?.addEventListener('abort', () => out.destroy(), { once: true });
    src.pipe(gunzip).pipe(out);
    return out;
  }
  const tool = TOOLS[compression];
  const bin = await requireTool(tool.bin, {
    debianPackage: tool.debianPackage,
    purpose: `decompress ${compression} images`,
  });
  const { execa } = await import('execa'); // lazy: keeps CLI start-up fast
  const child = execa(bin, ['-dc', '--', file], {
    buffer: { stdout: false, stderr: true },
    stdin: 'ignore',
    reject: false,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  const out = new PassThrough();
  let finished = false;
  // End the stream only once the tool exited 0: a corrupt or truncated input must surface as an
  // error, not as a silently short image.
  child.stdout.pipe(out, { end: false });
  child.stdout.on('error', () => {
    /* reported through the exit status below */
  });
  out.on('close', () => {
    if (!finished) child.kill();
  });
  void child.then((result) => {
    finished = true;
    if (out.destroyed) return;
    if (!result.failed && result.exitCode === 0) {
      if (child.stdout.readableEnded) out.end();
      else child.stdout.once('end', () => out.end());
      return;
    }
    const stderr = typeof result.stderr === 'string' ? result.stderr : '';
    out.destroy(
      badCompression(
        file,
        compression,
        tailLines(stderr, 5) || `${tool.bin} exited with ${result.exitCode ?? result.signal}`,
      ),
    );
  });
  return out;
}

/** The first `bytes` of the decompressed data (fewer when it is shorter). */
export async function readDecompressedHead(
  file: string,
  compression: Compression,
  bytes: number,
  opts: DecompressOptions = {},
): Promise<Buffer> {
  const stream = await openDecompressedStream(file, compression, opts);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      chunks.push(b);
      total += b.length;
      if (total >= bytes) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

function badCompression(file: string, compression: Compression, why: string, cause?: unknown): InputError {
  return new InputError({
    code: 'IMAGE_BAD_COMPRESSION',
    message: `${file}: cannot decompress (${compression}): ${why}`,
    hint: 'the file is corrupt or truncated; fetch it again',
    cause,
    details: { file, compression },
  });
}
