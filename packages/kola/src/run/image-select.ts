import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PrerequisiteError, UsageError } from '@mantle/core/errors';
import { checkInputPath } from '@mantle/core/fs';
import { mantleCacheDir, tinyBuildCommand, tinyImageName } from '../platform/qemu/image.js';
import type { QemuArch } from '../platform/qemu/options.js';
import type { RunOptions } from './options.js';

/** What kola reads from an image directory's manifest.json (images/tiny, images/systemd). */
export interface ImageManifest {
  /** the directory holding manifest.json */
  dir: string;
  name: string | undefined;
  /** the manifest's "arch" (qemu spelling: x86_64, aarch64); undefined in manifests older than arm64 builds */
  arch: string | undefined;
  osId: string | undefined;
  versionId: string | undefined;
  /** absolute paths of the files the manifest names */
  kernel: string | undefined;
  initrd: string | undefined;
  disk: string | undefined;
  cmdline: string | undefined;
  readiness: 'marker' | 'systemd' | undefined;
}

/** The image a command boots and the distro kola selects tests for. */
export interface ImageChoice {
  /** the options with the image's qemu settings filled in (what the platform gets) */
  opts: RunOptions;
  /** the distro tests are selected for (`-b`, else from the image, else `cl`) */
  distro: string;
  /** how the distro was decided */
  distroFrom: 'flag' | 'image' | 'default';
  manifest: ImageManifest | undefined;
}

/**
 * os-release IDs → kola distro names. mantle's own test images are `tiny` and `systemd`; the
 * others are mantle's/cosa's distro names.
 */
export const DISTRO_OF_OS_ID: Readonly<Record<string, string>> = {
  'mantle-tiny': 'tiny',
  'mantle-systemd': 'systemd',
  flatcar: 'cl',
  coreos: 'cl',
  fedora: 'fcos',
  'fedora-coreos': 'fcos',
  rhcos: 'rhcos',
  scos: 'scos',
};

/** The distros of the project's own test images (images/<name>), booted by `-b <name>`. */
export const OWN_IMAGES: readonly string[] = ['tiny', 'systemd'];

/** The default distro when nothing tells it (mantle's). */
export const DEFAULT_DISTRO = 'cl';

/** The architectures each own image is built for (images/tiny/build.sh --arch arm64). */
const OWN_IMAGE_ARCHES: Readonly<Record<string, readonly QemuArch[]>> = {
  tiny: ['x86_64', 'aarch64'],
  systemd: ['x86_64'],
};

const QEMU_ARCHES: readonly string[] = ['x86_64', 'aarch64'];

/** The cache name of an own image for an architecture: `tiny` on aarch64 is `tiny-arm64`. */
function ownImageName(name: string, arch: QemuArch): string {
  if (name === 'tiny') return tinyImageName(arch);
  return arch === 'x86_64' ? name : `${name}-arm64`;
}

/** How to build the cached image `name` (`tiny-arm64` → `images/tiny/build.sh --arch arm64`). */
function buildCommandOf(name: string): string {
  if (name === tinyImageName('aarch64')) return tinyBuildCommand('aarch64');
  return `images/${name}/build.sh`;
}

/** Parse `<dir>/manifest.json`; undefined when there is none or it is not an image manifest. */
export async function readImageManifest(dir: string): Promise<ImageManifest | undefined> {
  // The manifest and its files through the directory's real path, resolved once: `<name>-latest`
  // is a symlink that a build of another version moves while this run goes on
  // (images/*/build.sh keeps the build before the newest for such runs); every machine of a run,
  // snapshot copies above all, must boot the build whose manifest was read.
  const real = await realpath(dir).catch(() => dir);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(join(real, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const files = (raw.files ?? {}) as Record<string, unknown>;
  const os = (raw.osRelease ?? {}) as Record<string, unknown>;
  const file = (v: unknown): string | undefined => (typeof v === 'string' && v ? join(real, v) : undefined);
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  return {
    dir,
    name: str(raw.name),
    arch: str(raw.arch),
    osId: str(os.ID),
    versionId: str(os.VERSION_ID),
    kernel: file(files.kernel),
    initrd: file(files.initrd),
    disk: file(files.disk),
    cmdline: str(raw.cmdline),
    readiness: raw.readiness === 'systemd' || raw.readiness === 'marker' ? raw.readiness : undefined,
  };
}

/** The names of the images in the cache (`<name>-latest` directories with a manifest). */
export async function cachedImageNames(cacheDir: string): Promise<string[]> {
  const entries = await readdir(join(cacheDir, 'images')).catch(() => [] as string[]);
  const names: string[] = [];
  for (const e of entries.sort()) {
    const m = /^(.+)-latest$/.exec(e);
    if (m?.[1] && (await readImageManifest(join(cacheDir, 'images', e)))) names.push(m[1]);
  }
  return names;
}

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * Resolve `--image` (a cached image name such as `systemd`, an image directory holding
 * manifest.json, or a disk image file) and `-b/--distro` into qemu options and the run's distro:
 * - `--image NAME|DIR` boots that image's disk/kernel/initrd with its command line and readiness;
 * - `-b NAME` without any image flag boots the cached image of that name when there is one
 *   (so `kola run -b systemd` runs the systemd tests on the systemd image; with
 *   `--qemu-arch aarch64`, `-b tiny` is the `tiny-arm64` image);
 * - without either, the platform boots the tiny image of `--qemu-arch` (`tiny`, `tiny-arm64`);
 * - a mantle image's manifest names its architecture: it becomes `--qemu-arch` (a different
 *   `--qemu-arch` is a UsageError);
 * - `--qemu-image`/`--qemu-kernel` of a built image find manifest.json beside them;
 * - the distro is `-b`, else the image's os-release ID mapped by DISTRO_OF_OS_ID, else `cl`.
 */
export async function chooseImage(
  opts: RunOptions,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<ImageChoice> {
  const q = opts.qemu;
  const flagDistro = opts.distro;
  const result = (o: RunOptions, manifest: ImageManifest | undefined): ImageChoice => {
    const fromImage = manifest?.osId ? DISTRO_OF_OS_ID[manifest.osId] : undefined;
    const distro = flagDistro ?? fromImage ?? DEFAULT_DISTRO;
    return { opts: o, distro, distroFrom: flagDistro ? 'flag' : fromImage ? 'image' : 'default', manifest };
  };
  if (opts.platform !== 'qemu') {
    if (opts.image) {
      throw new UsageError({
        code: 'IMAGE_NEEDS_QEMU',
        message: `--image ${opts.image}: only the qemu platform boots local images (platform is ${opts.platform})`,
        hint: 'drop --image, or use -p qemu',
      });
    }
    return result(opts, undefined);
  }
  const cacheDir = mantleCacheDir(env);
  const explicit = Boolean(q.image || q.kernel);

  if (opts.image) {
    if (explicit) {
      throw new UsageError({
        code: 'IMAGE_CONFLICT',
        message: `--image ${opts.image} cannot be combined with --qemu-image or --qemu-kernel`,
        hint: '--image picks the disk, kernel and initrd itself; give either --image or the --qemu-* paths',
      });
    }
    const manifest = await findImage(opts.image, cacheDir, cwd);
    if (manifest) {
      return result(
        applyManifest(withImageArch(opts, manifest, `--image ${opts.image}`), manifest, cacheDir),
        manifest,
      );
    }
    // A plain disk image file.
    return result({ ...opts, image: undefined, qemu: { ...q, image: resolve(cwd, opts.image) } }, undefined);
  }

  if (!explicit) {
    const arch = q.arch ?? 'x86_64';
    // -b NAME with a cached image of that name boots it; otherwise the platform's default (tiny).
    if (flagDistro) {
      const own = OWN_IMAGES.includes(flagDistro);
      const arches = OWN_IMAGE_ARCHES[flagDistro] ?? [];
      if (own && !arches.includes(arch)) {
        throw new UsageError({
          code: 'IMAGE_ARCH_UNSUPPORTED',
          message: `-b ${flagDistro}: the ${flagDistro} test image is built for ${arches.join(', ')} only, not ${arch} (--qemu-arch)`,
          hint: `drop --qemu-arch, or pick an image built for ${arch} (${Object.keys(OWN_IMAGE_ARCHES)
            .filter((n) => OWN_IMAGE_ARCHES[n]?.includes(arch))
            .map((n) => `-b ${n}`)
            .join(', ')})`,
          details: { distro: flagDistro, arch },
        });
      }
      const name = own ? ownImageName(flagDistro, arch) : flagDistro;
      const named = await readImageManifest(join(cacheDir, 'images', `${name}-latest`));
      if (named)
        return result(applyManifest(withImageArch(opts, named, `-b ${flagDistro}`), named, cacheDir), named);
      if (own) {
        throw new PrerequisiteError({
          code: 'IMAGE_NOT_BUILT',
          message: `-b ${flagDistro}: the ${name} test image is not built (${join(cacheDir, 'images', `${name}-latest`)} has no manifest.json)`,
          hint: `build it with ${buildCommandOf(name)}, or pass the image with --qemu-image/--qemu-kernel`,
          details: { image: name, arch },
        });
      }
    }
    return result(opts, await readImageManifest(join(cacheDir, 'images', `${tinyImageName(arch)}-latest`)));
  }

  // --qemu-image / --qemu-kernel: a manifest beside them tells the distro and the defaults.
  const anchor = q.kernel ?? q.image ?? '';
  const manifest = await readImageManifest(dirname(resolve(cwd, anchor)));
  const own =
    manifest &&
    [manifest.kernel, manifest.disk].some((p) => p !== undefined && basename(p) === basename(anchor));
  return result(
    own
      ? fillFromManifest(withImageArch(opts, manifest, q.kernel ? '--qemu-kernel' : '--qemu-image'), manifest)
      : opts,
    own ? manifest : undefined,
  );
}

/**
 * The architecture a mantle image is built for becomes the machines' (`--qemu-arch`), so
 * `--image tiny-arm64` needs no `--qemu-arch aarch64`; a different `--qemu-arch` cannot work.
 * Manifests without "arch" predate the arm64 images: they are x86_64.
 */
function withImageArch(opts: RunOptions, m: ImageManifest, what: string): RunOptions {
  const arch = m.arch ?? 'x86_64';
  if (!QEMU_ARCHES.includes(arch)) {
    throw new UsageError({
      code: 'IMAGE_ARCH_UNSUPPORTED',
      message: `${what}: the image ${m.dir} is built for ${arch}, which the qemu platform does not boot`,
      hint: `pick an image built for ${QEMU_ARCHES.join(' or ')}`,
      details: { image: m.dir, arch },
    });
  }
  const requested = opts.qemu.arch;
  if (requested && requested !== arch) {
    throw new UsageError({
      code: 'IMAGE_ARCH_MISMATCH',
      message: `${what}: the image ${m.dir} is built for ${arch}, but --qemu-arch is ${requested}`,
      hint: `drop --qemu-arch (the image's architecture is used), or pick an image built for ${requested}${requested === 'aarch64' ? ' (tiny-arm64)' : ''}`,
      details: { image: m.dir, arch, requested },
    });
  }
  return { ...opts, qemu: { ...opts.qemu, arch: arch as QemuArch } };
}

async function findImage(spec: string, cacheDir: string, cwd: string): Promise<ImageManifest | undefined> {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec) && !(await exists(resolve(cwd, spec)))) {
    const named = await readImageManifest(join(cacheDir, 'images', `${spec}-latest`));
    if (named) return named;
    // `disk.img` is a file that is not there (exit 2); `tinyy` an image that is not built (exit 3).
    if (/\.[A-Za-z0-9]+$/.test(spec)) await checkInputPath(spec, { cwd, flag: '--image', kind: 'any' });
    const known = await cachedImageNames(cacheDir);
    throw new PrerequisiteError({
      code: 'IMAGE_NOT_BUILT',
      message: `--image ${spec}: there is no image ${spec} in ${join(cacheDir, 'images')} and no file ${resolve(cwd, spec)}`,
      hint: `build it (${buildCommandOf(spec)}), or pick a built one: ${known.join(', ') || 'none is built yet'}`,
      details: { image: spec, known },
    });
  }
  // A path that is not there is a mistyped input (exit 2), unlike a cached name not built (exit 3).
  const abs = await checkInputPath(spec, { cwd, flag: '--image', kind: 'any' });
  if ((await stat(abs)).isDirectory()) {
    const m = await readImageManifest(abs);
    if (m) return m;
    throw new UsageError({
      code: 'IMAGE_NO_MANIFEST',
      message: `--image ${spec}: the directory ${abs} has no manifest.json`,
      hint: 'give an image directory made by images/*/build.sh, or the disk image file itself',
    });
  }
  return undefined;
}

// Boot exactly this image: its files and settings replace the defaults. The tiny image of the
// machines' architecture from the cache is what the qemu platform boots by default, so it is
// left to the platform (which then also watches for its console marker).
function applyManifest(opts: RunOptions, m: ImageManifest, cacheDir: string): RunOptions {
  const defaultTiny = join(cacheDir, 'images', `${tinyImageName(opts.qemu.arch ?? 'x86_64')}-latest`);
  const isDefaultTiny = m.name === 'tiny' && resolve(m.dir) === resolve(defaultTiny);
  const base: RunOptions = { ...opts, image: undefined };
  if (isDefaultTiny) return base;
  return fillFromManifest(base, m);
}

function fillFromManifest(opts: RunOptions, m: ImageManifest): RunOptions {
  const q = { ...opts.qemu };
  if (!q.image && !q.kernel) {
    if (m.disk) q.image = m.disk;
    if (m.kernel) q.kernel = m.kernel;
    if (m.initrd) q.initrd = m.initrd;
  } else if (q.kernel && !q.initrd && m.initrd && m.kernel && basename(q.kernel) === basename(m.kernel)) {
    q.initrd = m.initrd;
  }
  if (q.kernel && q.append === undefined && m.cmdline) q.append = m.cmdline;
  if (!q.readiness && m.readiness) q.readiness = m.readiness;
  // A systemd system with journald and sshd wants more than the tiny image's 512 MiB.
  if (q.memoryMiB === undefined && m.readiness === 'systemd') q.memoryMiB = 1024;
  return { ...opts, qemu: q };
}
