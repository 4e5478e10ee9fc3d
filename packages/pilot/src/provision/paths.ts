// Paths a flake (or an image's /removed list) names on the host. They are used relative to the
// host root (the root override's directory or /), so they must be absolute, without `..`, empty
// or `.` components or control characters (core's confinement rules); anything else is refused
// before a file is read. Where they point is resolved by core's resolveInRoot (tar-source.ts).
import { splitRelative } from '@mantle/core/fs';

/** The path relative to the host root (`etc/hosts` for `/etc/hosts`), or undefined when unsafe. */
export function confinedHostPath(path: string): string | undefined {
  if (!path.startsWith('/')) return undefined;
  const rel = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (rel === '' || rel.split('/').some((c) => c === '' || c === '.')) return undefined;
  try {
    return splitRelative(rel, 'path').join('/');
  } catch {
    return undefined;
  }
}

/** The content of the first regular file in a (small, uncompressed) tar archive held in memory. */
export function firstFileOfTar(tar: Buffer): string {
  for (let off = 0; off + 512 <= tar.length;) {
    const block = tar.subarray(off, off + 512);
    if (block.every((b) => b === 0)) break;
    const size = parseInt(block.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = block[156];
    if (type === 0x30 || type === 0) return tar.subarray(off + 512, off + 512 + size).toString('utf8');
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return '';
}
