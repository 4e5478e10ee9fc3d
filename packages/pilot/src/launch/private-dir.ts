// Per-user metadata directories (container id files, VM sockets, the launch cache). They sit
// below directories other users share (/tmp/flakes), so — as flake-pilot's IO::private_dir —
// the shared base must be a real directory with the sticky bit if everyone may write to it, and
// the per-user directory must be the caller's own, mode 0700; metadata files in it are never
// followed through a symlink.
import { chmodSync, chownSync, lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { raise, raiseUntrusted } from './raise.js';

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * `<base>/<uid>`, created 0700 and checked; `base` is created 1777 when missing. `owner` is who
 * the directory belongs to (the caller, or the user a root launcher starts the engine as).
 */
export async function privateDir(base: string, owner: { uid: number; gid: number }): Promise<string> {
  if (!lstatOrUndefined(base)) {
    mkdirSync(base, { recursive: true, mode: 0o1777 });
    // mkdir honours the umask; the shared base must be sticky and open like /tmp
    chmodSync(base, 0o1777);
  }
  const b = lstatSync(base);
  if (!b.isDirectory())
    await raiseUntrusted(`${base} is not a directory (a symlink or file stands there)`, base);
  if (b.mode & 0o002 && !(b.mode & 0o1000))
    await raiseUntrusted(`${base} is writable by everyone without the sticky bit (chmod 1777 ${base})`, base);
  const dir = join(base, String(owner.uid));
  if (!lstatOrUndefined(dir) && owner.uid !== (process.geteuid?.() ?? 0)) {
    // a root launcher prepares the directory of the user it starts the engine as
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, owner.uid, owner.gid);
  }
  return ownDir(dir, owner.uid);
}

/** A directory that must be the caller's own (created 0700 when missing, parents included). */
export async function ownDir(dir: string, uid: number): Promise<string> {
  try {
    mkdirSync(dir, { mode: 0o700, recursive: true });
  } catch (err) {
    await raise('operation', {
      code: 'METADATA_DIR_FAILED',
      message: `cannot create ${dir}: ${(err as Error).message}`,
      hint: 'check the ids/cache directory settings (flakes.yml) and their permissions',
      cause: err,
    });
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid)
    await raiseUntrusted(`${dir} is not a directory owned by the caller (uid ${uid})`, dir);
  if (st.mode & 0o077) chmodSync(dir, 0o700);
  return dir;
}

/** Refuse a metadata path that is a symlink (someone else may have placed it). */
export async function refuseSymlink(path: string): Promise<void> {
  const st = lstatOrUndefined(path);
  if (st?.isSymbolicLink())
    await raise('input', {
      code: 'METADATA_SYMLINK',
      message: `${path} is a symbolic link; refusing to use it`,
      hint: `remove it (rm ${path}); pilot writes its metadata files itself`,
      details: { path },
    });
}
