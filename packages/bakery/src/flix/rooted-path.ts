import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InputError } from '@mantle/core/errors';

/**
 * Resolve a path inside a root directory the way the kernel would after chroot: every component
 * that is a symlink is followed, absolute targets start again at the root, `..` never climbs
 * above it. Returns the resolved path relative to the root (with a leading slash), or undefined
 * when a component does not exist.
 */
export async function resolveInRoot(root: string, path: string, maxLinks = 40): Promise<string | undefined> {
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
      done.push(part);
      continue;
    }
    if (++links > maxLinks) {
      throw new InputError({
        code: 'FLIX_SYMLINK_LOOP',
        message: `${join(root, cur)}: too many symlinks while resolving ${path}`,
        hint: 'fix the symlink loop in the root filesystem',
        details: { path },
      });
    }
    const target = await readlink(join(root, cur));
    const rest = target.split('/').filter(Boolean);
    if (target.startsWith('/')) done.length = 0;
    todo = [...rest, ...todo];
  }
  return '/' + done.join('/');
}
