/** Filesystem formats a sysext image can have. */
export const SYSEXT_FORMATS = ['squashfs', 'erofs', 'ext4', 'btrfs'] as const;
export type SysextFormat = (typeof SYSEXT_FORMATS)[number];

/** A file bakery adds to the image that is not in the source tree (metadata, drop-ins, recipe units). */
export interface GeneratedFile {
  /** path relative to the image root, e.g. usr/lib/extension-release.d/extension-release.docker */
  path: string;
  content: string | Uint8Array;
  /** permission bits; default 0o644 */
  mode?: number;
}

/** What every format builder gets. */
export interface BuildInput {
  /** the source tree (read, never written) */
  source: string;
  generated: readonly GeneratedFile[];
  /** the image file to write (a temp name; the caller renames it into place) */
  out: string;
  /** every timestamp in the image (SOURCE_DATE_EPOCH) */
  epoch: number;
  /** seeds filesystem UUIDs so two builds of the same input are byte-identical */
  seed: string;
  /** a scratch directory the builder may use (removed by the caller) */
  scratch: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  logger?: import('@mantle/core/log').Logger;
  /** squashfs compressor (gzip as sysext-bakery, or zstd, xz, lz4, lzo) */
  compression?: string;
}

/** The parent directories (relative, outermost first) of a relative path. */
export function parentDirs(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** The environment for a reproducible build tool run: SOURCE_DATE_EPOCH set (or removed) explicitly. */
export function toolEnv(env: NodeJS.ProcessEnv, epoch?: number): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...env };
  delete e.SOURCE_DATE_EPOCH;
  if (epoch !== undefined) e.SOURCE_DATE_EPOCH = String(epoch);
  return e;
}
