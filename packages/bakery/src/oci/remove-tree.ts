import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

// Image root filesystems carry directories without a write bit (dr-xr-xr-x /usr/lib/...,
// /proc in some images); an unprivileged user cannot delete what is inside them. Root can, so
// rm alone is enough there; for everyone else, give directories u+rwx and try again.

/** Remove a tree, making read-only directories writable first when rm alone is refused. */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw err;
  }
  await makeDirsWritable(path);
  await rm(path, { recursive: true, force: true });
}

async function makeDirsWritable(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isDirectory()) return; // symlinks are never followed
  if ((st.mode & 0o700) !== 0o700) await chmod(path, (st.mode & 0o7777) | 0o700).catch(() => {});
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await makeDirsWritable(join(path, e.name));
}

/** Count the entries (files, directories, links) below a directory, without following links. */
export async function countEntries(path: string): Promise<number> {
  let n = 0;
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    n++;
    if (e.isDirectory()) n += await countEntries(join(path, e.name));
  }
  return n;
}
