import { open, type FileHandle } from 'node:fs/promises';
import { inputReadError } from '../fs/path-problems.js';
import { InputError } from '../errors/mantle-error.js';

/**
 * Random access to the bytes of a disk: a file (positioned reads through a FileHandle, never the
 * whole file — images are often 10 GiB sparse files), a window of a file (the data part of a fixed
 * VHD) or an in-memory buffer (the head of a decompressed stream).
 */
export interface BlockSource {
  /** what to call this source in messages (usually the file path) */
  readonly name: string;
  /** size in bytes of the disk this source shows */
  readonly size: number;
  /** read exactly `length` bytes at `position`, or fewer only when the disk ends first */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** A BlockSource over a buffer (e.g. the first MiB of a decompressed image). */
export function bufferSource(name: string, data: Buffer, size = data.length): BlockSource {
  return {
    name,
    size,
    read: (position, length) => {
      const end = Math.min(position + length, data.length);
      return Promise.resolve(position >= end ? Buffer.alloc(0) : Buffer.from(data.subarray(position, end)));
    },
    close: () => Promise.resolve(),
  };
}

export interface FileSourceOptions {
  /** bytes to skip at the start of the file */
  offset?: number;
  /** size of the window; default: the file size minus offset */
  size?: number;
}

/** Open a file as a BlockSource; a missing or unreadable file is an InputError naming it. */
export async function openFileSource(path: string, opts: FileSourceOptions = {}): Promise<BlockSource> {
  const fh = await openForRead(path);
  const st = await fh.stat();
  if (!st.isFile() && !st.isBlockDevice()) {
    await fh.close();
    throw new InputError({
      code: 'NOT_A_FILE',
      message: `${path} is not a regular file`,
      hint: 'pass the path of a disk image file',
    });
  }
  const offset = opts.offset ?? 0;
  const size = opts.size ?? Math.max(0, st.size - offset);
  return fileHandleSource(path, fh, offset, size);
}

/** Wrap an open FileHandle (the caller keeps ownership unless it calls close()). */
export function fileHandleSource(name: string, fh: FileHandle, offset: number, size: number): BlockSource {
  return {
    name,
    size,
    read: async (position, length) => {
      const want = Math.max(0, Math.min(length, size - position));
      const buf = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, want - got, offset + position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === want ? buf : buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** Open a file read-only, mapping ENOENT/EACCES/EISDIR to InputErrors that name the file. */
export async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw fileOpenError(path, err);
  }
}

/** Open a file read-write (no create), mapping errors to InputErrors that name the file. */
export async function openForWrite(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r+');
  } catch (err) {
    throw fileOpenError(path, err);
  }
}

/** An InputError (exit 2) for a file we could not open: core's one mapping of read errors. */
export function fileOpenError(path: string, err: unknown): InputError {
  return inputReadError(err, { path });
}
