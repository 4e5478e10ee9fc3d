import { UsageError } from '@mantle/core/errors';

// metal-images' image store: <root>/<os>/<major.minor>/{img.tar.lz4, img.tar.lz4.md5, packages.txt},
// where <root> is `stable` (the main branch), the release's YYYYMMDD patch, or
// `pull_requests/<name>`. A full image version is <major.minor.patch>, patch a YYYYMMDD date.

export const IMAGE_NAME = 'img.tar.lz4';
export const CHECKSUM_NAME = `${IMAGE_NAME}.md5`;
export const PACKAGES_NAME = 'packages.txt';

/** A parsed `--version 12.0.20261207`. */
export interface ImageVersion {
  /** `12.0` */
  majorMinor: string;
  /** `20261207` */
  patch: string;
}

/** Check and split an image version (MAJOR.MINOR.YYYYMMDD; a leading zero in the minor is fine: 22.04). */
export function parseImageVersion(version: string): ImageVersion {
  const m = /^(0|[1-9]\d*)\.(\d+)\.(\d{8})$/.exec(version);
  if (!m || !validDate(m[3]!))
    throw new UsageError({
      code: 'PLUME_BAD_IMAGE_VERSION',
      message: `--version ${version}: expected MAJOR.MINOR.YYYYMMDD, e.g. 12.0.20261207`,
      hint: 'the patch is the build date (as metal-images versions its images)',
      details: { flag: '--version', value: version },
    });
  return { majorMinor: `${m[1]}.${m[2]}`, patch: m[3]! };
}

function validDate(d: string): boolean {
  const y = Number(d.slice(0, 4));
  const mo = Number(d.slice(4, 6));
  const day = Number(d.slice(6, 8));
  const t = new Date(Date.UTC(y, mo - 1, day));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === day;
}

/** Check an --os name. */
export function checkOsName(os: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(os))
    throw new UsageError({
      code: 'PLUME_BAD_OS_NAME',
      message: `--os ${JSON.stringify(os)}: expected a lower-case name such as debian, ubuntu or firewall`,
      hint: 'letters, digits and -, starting with a letter',
      details: { flag: '--os', value: os },
    });
  return os;
}

/**
 * The store root: `stable`, `release` (→ the version's YYYYMMDD), a YYYYMMDD date, or
 * `pull_requests/<name>` (the CI's branch slug: letters, digits, `.`, `_`, `-`).
 */
export function resolveRoot(root: string, version: ImageVersion): string {
  if (root === 'stable') return root;
  if (root === 'release') return version.patch;
  if (/^\d{8}$/.test(root) && validDate(root)) return root;
  if (/^pull_requests\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(root)) return root;
  throw new UsageError({
    code: 'PLUME_BAD_IMAGE_ROOT',
    message: `--root ${JSON.stringify(root)}: not an image store root`,
    hint: 'use stable, release (the version’s date), a YYYYMMDD date, or pull_requests/<branch-slug>',
    details: { flag: '--root', value: root },
  });
}

/** The directory of one image: `<root>/<os>/<major.minor>/`. */
export function imageDir(root: string, os: string, majorMinor: string): string {
  return `${root}/${os}/${majorMinor}/`;
}

/** What a key says about the image it belongs to, when it is an image store's img.tar.lz4. */
export function parseImageKey(key: string): { root: string; os: string; majorMinor: string } | undefined {
  const m = /^(.+)\/([a-z][a-z0-9-]*)\/(\d+\.\d+)\/img\.tar\.lz4$/.exec(key);
  if (!m) return undefined;
  return { root: m[1]!, os: m[2]!, majorMinor: m[3]! };
}
