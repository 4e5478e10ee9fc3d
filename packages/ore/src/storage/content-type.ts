import { extname } from 'node:path';

// The types that matter for OS images, release artifacts and index pages; everything else is binary.
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.sig': 'application/pgp-signature',
  '.asc': 'application/pgp-signature',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.bz2': 'application/x-bzip2',
  '.xz': 'application/x-xz',
  '.zst': 'application/zstd',
  '.tar': 'application/x-tar',
  '.zip': 'application/zip',
  '.iso': 'application/x-iso9660-image',
  '.raw': 'application/octet-stream',
  '.img': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.vhd': 'application/octet-stream',
  '.qcow2': 'application/octet-stream',
  '.vmdk': 'application/octet-stream',
  '.squashfs': 'application/octet-stream',
  '.efi': 'application/efi',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The Content-Type for a key, by its extension; application/octet-stream when unknown. */
export function guessContentType(key: string): string {
  return TYPES[extname(key).toLowerCase()] ?? 'application/octet-stream';
}
