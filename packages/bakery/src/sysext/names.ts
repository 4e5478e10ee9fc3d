import { basename } from 'node:path';
import { InputError } from '@mantle/core/errors';

// Names as systemd-sysext and systemd-sysupdate see them. The image NAME is what the host looks
// up: /etc/extensions/NAME.raw must carry usr/lib/extension-release.d/extension-release.NAME.
// Release files are NAME-VERSION-ARCH.raw so that a sysupdate MatchPattern NAME-@v-%a.raw finds them.

/** The architectures bakery builds for, spelled as systemd's ARCHITECTURE= (os-release(5)). */
export const SYSEXT_ARCHES = ['x86-64', 'arm64'] as const;
export type SysextArch = (typeof SYSEXT_ARCHES)[number];

// Spellings users type from other ecosystems (uname, Go, Debian).
const ARCH_ALIASES: Readonly<Record<string, SysextArch>> = {
  'x86-64': 'x86-64',
  x86_64: 'x86-64',
  amd64: 'x86-64',
  arm64: 'arm64',
  aarch64: 'arm64',
};

/** Every ARCHITECTURE= value systemd knows (architecture_to_string), for validating metadata. */
export const SYSTEMD_ARCHES = [
  'x86',
  'x86-64',
  'ppc',
  'ppc-le',
  'ppc64',
  'ppc64-le',
  'ia64',
  'parisc',
  'parisc64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'mips',
  'mips-le',
  'mips64',
  'mips64-le',
  'alpha',
  'arm',
  'arm-be',
  'arm64',
  'arm64-be',
  'sh',
  'sh64',
  'm68k',
  'tilegx',
  'cris',
  'nios2',
  'riscv32',
  'riscv64',
  'arc',
  'arc-be',
  'loongarch64',
] as const;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9_.+~^-]*$/;

/** Check an extension name (`--name`, recipe name, NAME in NAME:FILE); InputError (exit 2) naming `what`. */
export function checkName(name: string, what = 'name'): string {
  if (name.includes('/')) {
    throw new InputError({
      code: 'BAD_NAME',
      message: `${what} ${JSON.stringify(name)} contains a '/'`,
      hint: 'a sysext name is a plain file-name stem like "docker" (the host loads /etc/extensions/NAME.raw)',
      details: { field: what, value: name },
    });
  }
  if (name.endsWith('.raw')) {
    throw new InputError({
      code: 'BAD_NAME',
      message: `${what} ${JSON.stringify(name)} ends in .raw`,
      hint: `give the name without the suffix: ${JSON.stringify(name.slice(0, -4))}`,
      details: { field: what, value: name },
    });
  }
  if (!NAME_RE.test(name) || name.length > 128) {
    throw new InputError({
      code: 'BAD_NAME',
      message: `${what} ${JSON.stringify(name)} is not a valid sysext name`,
      hint: 'use letters, digits and . _ + - (starting with a letter or digit, at most 128 characters)',
      details: { field: what, value: name },
    });
  }
  return name;
}

/** Check a version string (`--version`); it becomes part of a file name and of @v in sysupdate. */
export function checkVersion(version: string, what = '--version'): string {
  if (!VERSION_RE.test(version) || version.length > 128) {
    throw new InputError({
      code: 'BAD_VERSION',
      message: `${what} ${JSON.stringify(version)} is not a valid version`,
      hint: 'use letters, digits and . _ + ~ ^ - (e.g. 24.0.9 or v1.29.2+k3s1); no slashes or spaces',
      details: { field: what, value: version },
    });
  }
  return version;
}

/** An architecture in systemd's spelling (x86-64, arm64), from it or the aliases amd64, x86_64, aarch64. */
export function normalizeSystemdArch(arch: string, what = '--arch'): SysextArch {
  const hit = ARCH_ALIASES[arch.toLowerCase()];
  if (!hit) {
    throw new InputError({
      code: 'BAD_ARCH',
      message: `${what} ${JSON.stringify(arch)} is not a supported architecture`,
      hint: `use one of ${SYSEXT_ARCHES.join(', ')} (aliases: amd64, x86_64, aarch64)`,
      details: { field: what, value: arch },
    });
  }
  return hit;
}

/** The systemd architecture of this machine (what %a expands to in sysupdate on it). */
export function hostSystemdArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'x86-64';
    case 'arm64':
      return 'arm64';
    case 'ia32':
      return 'x86';
    case 'arm':
      return 'arm';
    case 'riscv64':
      return 'riscv64';
    case 's390x':
      return 's390x';
    case 'ppc64':
      return 'ppc64-le';
    case 'loong64':
      return 'loongarch64';
    default:
      return process.arch;
  }
}

/** The release file name: NAME-VERSION-ARCH.raw, or NAME.raw when there is no version. */
export function imageFileName(name: string, version: string | undefined, arch: SysextArch): string {
  return version ? `${name}-${version}-${arch}.raw` : `${name}.raw`;
}

/** The name systemd gives an image: its file name (or symlink name) without `.raw`. */
export function imageNameOf(path: string): string {
  const b = basename(path);
  return b.endsWith('.raw') ? b.slice(0, -4) : b;
}

/** Split NAME-VERSION-ARCH (a release file stem) when it ends in a known architecture. */
export function parseReleaseStem(stem: string): { name: string; version: string; arch: string } | undefined {
  for (const arch of [...SYSTEMD_ARCHES].sort((a, b) => b.length - a.length)) {
    if (!stem.endsWith(`-${arch}`)) continue;
    const rest = stem.slice(0, -(arch.length + 1));
    // The version starts at the first '-' followed by a digit or a 'v' and a digit (24.0.9, v1.29.2+k3s1).
    const m = /^(.+?)-(v?[0-9].*)$/.exec(rest);
    if (m) return { name: m[1]!, version: m[2]!, arch };
  }
  return undefined;
}
