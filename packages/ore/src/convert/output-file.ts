import { randomBytes } from 'node:crypto';
import { access, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { onCleanup } from '@mantle/core/cli';
import { syncDir } from '@mantle/core/fs';

/**
 * An output file written under a temp name in its own directory and renamed into place on
 * commit: an error or Ctrl-C (the cleanup registry) leaves neither a half file nor the temp.
 */
export interface PendingOutput {
  /** the final path */
  path: string;
  /** where to write until commit */
  tmp: string;
  /** fsync and rename into place */
  commit(): Promise<void>;
  /** remove the temp (idempotent) */
  discard(): Promise<void>;
}

/** Refuse an existing output (unless overwrite) and reserve a temp name next to it. */
export async function pendingOutput(
  path: string,
  opts: { overwrite?: boolean } = {},
): Promise<PendingOutput> {
  if (!opts.overwrite && (await exists(path))) {
    throw new InputError({
      code: 'IMAGE_EXISTS',
      message: `${path} already exists`,
      hint: 'remove it first, choose another --out, or pass --force',
      details: { file: path },
    });
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await (await open(tmp, 'wx', 0o644)).close();
  } catch (err) {
    throw new InputError({
      code: 'OUTPUT_NOT_WRITABLE',
      message: `cannot create ${path}: ${(err as Error).message}`,
      hint: 'check that the directory exists and is writable',
      cause: err,
      details: { file: path },
    });
  }
  const unregister = onCleanup(() => rm(tmp, { force: true }), `remove ${tmp}`);
  return {
    path,
    tmp,
    commit: async () => {
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      unregister();
      await syncDir(dirname(path));
    },
    discard: async () => {
      await rm(tmp, { force: true });
      unregister();
    },
  };
}

/** Run `fn` on a pending output; commit on success, discard on any failure. */
export async function withPendingOutput<T>(
  path: string,
  opts: { overwrite?: boolean },
  fn: (out: PendingOutput) => Promise<T>,
): Promise<T> {
  const out = await pendingOutput(path, opts);
  try {
    const r = await fn(out);
    await out.commit();
    return r;
  } catch (err) {
    await out.discard();
    throw err;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
