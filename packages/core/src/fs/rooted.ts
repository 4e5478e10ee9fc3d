import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { FsErrorCode, UnsafePathError } from './errors.js';
import { checkNoControlChars } from './names.js';

/**
 * Resolve a path inside a root filesystem the way the kernel would after chroot: every component
 * that is a symlink is followed, an absolute target starts again at the root, and `..` never
 * climbs above it. For reading from a foreign root filesystem (its /lib -> usr/lib links are
 * normal). Returns the resolved path relative to the root with a leading slash, free of
 * symlinks (open it with readFileInside/openInside, which check that again), or undefined when
 * a component does not exist.
 */
export async function resolveInRoot(
  root: string,
  path: string,
  opts: { what?: string; maxLinks?: number } = {},
): Promise<string | undefined> {
  checkNoControlChars(path, opts.what ?? 'path');
  const maxLinks = opts.maxLinks ?? 40;
  let todo = posix
    .normalize('/' + path)
    .split('/')
    .filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const cur = '/' + [...done, part].join('/');
    const st = await lstat(join(root, cur)).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isSymbolicLink()) {
      // A file in the middle of a path: ENOTDIR, as the kernel would say.
      if (todo.length > 0 && !st.isDirectory()) return undefined;
      done.push(part);
      continue;
    }
    if (++links > maxLinks) {
      throw new UnsafePathError({
        code: FsErrorCode.SymlinkLoop,
        message: `${opts.what ? `${opts.what}: ` : ''}${join(root, cur)}: too many symlinks while resolving ${path}`,
        hint: 'fix the symlink loop in the root filesystem',
        details: { path },
      });
    }
    const target = await readlink(join(root, cur));
    if (target.startsWith('/')) done.length = 0;
    todo = [...target.split('/').filter(Boolean), ...todo];
  }
  return '/' + done.join('/');
}
