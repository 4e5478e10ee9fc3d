import { posix } from 'node:path';
import type { Logger } from '@mantle/core/log';
import type { SysextFormat } from '../build/formats.js';
import { EXTENSION_RELEASE_DIR, parseExtensionRelease } from '../sysext/extension-release.js';
import { imageNameOf, parseReleaseStem } from '../sysext/names.js';
import { parseUpholdsLines } from '../sysext/upholds.js';
import { openSysext, type ImageEntry, type SysextReader } from './sysext-reader.js';
import { errorMessage } from '@mantle/core/errors';

/** One extension-release file found in an image. */
export interface MetadataFile {
  /** the NAME in extension-release.NAME */
  name: string;
  path: string;
  fields: Record<string, string>;
  /** set when the file could not be parsed */
  error?: string;
}

/** How a unit gets started by the image itself. */
export interface UnitStart {
  target: string;
  unit: string;
  /** Upholds= in a drop-in, or a .wants/.requires/.upholds symlink */
  via: 'Upholds=' | 'wants' | 'requires' | 'upholds';
  path: string;
}

export interface SysextInspection {
  image: string;
  format: SysextFormat;
  /** bytes of the image file */
  size: number;
  /** what systemd calls it when loaded from this path (file or symlink name without .raw) */
  imageName: string;
  /** NAME, VERSION, ARCH when the file name is a release name NAME-VERSION-ARCH.raw */
  release?: { name: string; version: string; arch: string };
  metadata: MetadataFile[];
  /** top-level entries (usr, opt, and anything systemd would ignore) */
  topLevel: string[];
  units: string[];
  starts: UnitStart[];
  files: ImageEntry[];
  counts: { files: number; dirs: number; symlinks: number; other: number };
  /** sum of regular file sizes */
  contentBytes: number;
  hasOsRelease: boolean;
}

const UNIT_DIRS = ['usr/lib/systemd/system', 'usr/local/lib/systemd/system', 'etc/systemd/system'];
const UNIT_RE = /\.(service|socket|timer|path|mount|automount|swap|target|slice|scope)$/;

/** Read what a sysext image holds: metadata, files, units and how they start. */
export async function inspectSysext(
  image: string,
  opts: { logger?: Logger; env?: NodeJS.ProcessEnv } = {},
): Promise<SysextInspection> {
  const reader = await openSysext(image, opts);
  try {
    return await inspectWith(reader);
  } finally {
    await reader.close();
  }
}

/** Inspect through an opened reader (validate reuses it). */
export async function inspectWith(reader: SysextReader): Promise<SysextInspection> {
  const files = await reader.list();
  const metadata: MetadataFile[] = [];
  for (const e of files) {
    if (
      posix.dirname(e.path) !== EXTENSION_RELEASE_DIR ||
      !posix.basename(e.path).startsWith('extension-release.')
    )
      continue;
    const name = posix.basename(e.path).slice('extension-release.'.length);
    if (e.type !== 'file') {
      metadata.push({ name, path: e.path, fields: {}, error: `is a ${e.type}, not a file` });
      continue;
    }
    const text = (await reader.readFile(e.path))?.toString('utf8') ?? '';
    try {
      metadata.push({ name, path: e.path, fields: parseExtensionRelease(text, e.path).fields });
    } catch (err) {
      metadata.push({ name, path: e.path, fields: {}, error: errorMessage(err) });
    }
  }
  const units: string[] = [];
  const starts: UnitStart[] = [];
  for (const e of files) {
    const dir = posix.dirname(e.path);
    const base = posix.basename(e.path);
    const unitDir = UNIT_DIRS.find((d) => dir === d);
    if (unitDir && UNIT_RE.test(base) && e.type !== 'dir') units.push(base);
    const parentDir = UNIT_DIRS.find((d) => posix.dirname(dir) === d);
    if (!parentDir) continue;
    const owner = posix.basename(dir);
    const dropIn = /^(.+)\.d$/.exec(owner);
    if (dropIn && base.endsWith('.conf') && e.type === 'file') {
      const text = (await reader.readFile(e.path))?.toString('utf8') ?? '';
      for (const unit of parseUpholdsLines(text))
        starts.push({ target: dropIn[1]!, unit, via: 'Upholds=', path: e.path });
    }
    const linkDir = /^(.+)\.(wants|requires|upholds)$/.exec(owner);
    if (linkDir && e.type === 'symlink')
      starts.push({ target: linkDir[1]!, unit: base, via: linkDir[2] as UnitStart['via'], path: e.path });
  }
  const counts = { files: 0, dirs: 0, symlinks: 0, other: 0 };
  let contentBytes = 0;
  for (const e of files) {
    if (e.type === 'file') {
      counts.files++;
      contentBytes += e.size;
    } else if (e.type === 'dir') counts.dirs++;
    else if (e.type === 'symlink') counts.symlinks++;
    else counts.other++;
  }
  const imageName = imageNameOf(reader.path);
  const release = parseReleaseStem(imageName);
  return {
    image: reader.path,
    format: reader.format,
    size: reader.size,
    imageName,
    ...(release ? { release } : {}),
    metadata,
    topLevel: files.filter((e) => !e.path.includes('/')).map((e) => e.path),
    units: [...new Set(units)].sort(),
    starts,
    files,
    counts,
    contentBytes,
    hasOsRelease: files.some((e) => e.path === 'usr/lib/os-release'),
  };
}
