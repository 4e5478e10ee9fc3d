import { open, readFile, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InputError, PrerequisiteError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { run } from '@mantle/core/exec';
import { inputReadError } from '@mantle/core/fs';
import type { QemuArch } from './options.js';

/** A disk image a machine boots from (through a per-machine overlay). */
export interface DiskImage {
  /** absolute path */
  path: string;
  format: 'qcow2' | 'raw';
  virtualSize: number;
}

/** What the tiny image's manifest.json tells kola (the fields the platform uses). */
interface TinyManifest {
  name: string;
  /** qemu spelling (x86_64, aarch64); manifests written before images had arm64 builds name none */
  arch: string;
  cmdline: string;
  readyMarker: string;
  readyFile: string;
  sshUser: string;
  osRelease?: Record<string, string>;
}

/** What a flight boots its machines from. */
export interface BootSource {
  disk?: DiskImage;
  kernel?: string;
  initrd?: string;
  append?: string;
  /** set when booting the tiny image from the cache */
  tiny?: { dir: string; manifest: TinyManifest };
  /** the architecture a mantle image manifest says the image is built for (qemu spelling) */
  arch?: string;
  /**
   * How the booted OS announces readiness, from a mantle image manifest.json (the tiny image's,
   * or one beside the given disk or kernel, as images/systemd writes it)
   */
  ready?: ReadyHints;
}

/** Readiness hints from a mantle image manifest. */
interface ReadyHints {
  /** console line printed once sshd listens */
  marker: string;
  /** file that exists once ready */
  file: string;
  readiness: 'marker' | 'systemd';
}

// A mantle image's manifest.json beside its files says how the OS announces readiness and
// which architecture it is for; other images have none, and then the platform probes SSH and
// asks the machine.
async function manifestBeside(file: string): Promise<{ ready?: ReadyHints; arch?: string }> {
  let m: { readyMarker?: unknown; readyFile?: unknown; readiness?: unknown; arch?: unknown };
  try {
    m = JSON.parse(await readFile(join(dirname(file), 'manifest.json'), 'utf8')) as typeof m;
  } catch {
    return {};
  }
  if (typeof m !== 'object' || m === null || typeof m.readyMarker !== 'string' || m.readyMarker === '')
    return {};
  return {
    ready: {
      marker: m.readyMarker,
      file: typeof m.readyFile === 'string' ? m.readyFile : '/run/mantle/ready',
      readiness: m.readiness === 'systemd' ? 'systemd' : 'marker',
    },
    ...(typeof m.arch === 'string' && m.arch ? { arch: m.arch } : {}),
  };
}

/** `${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/mantle}`, as images/tiny/build.sh uses. */
export function mantleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MANTLE_CACHE_DIR) return resolve(env.MANTLE_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(resolve(xdg), 'mantle');
}

/**
 * The cache name of the tiny test image for an architecture: `tiny` (amd64, kept as it always
 * was) or `tiny-arm64`; images/tiny/build.sh publishes `<name>-<key>` and `<name>-latest`.
 */
export function tinyImageName(arch: QemuArch = 'x86_64'): string {
  return arch === 'aarch64' ? 'tiny-arm64' : 'tiny';
}

/** The command that builds the tiny image for an architecture (run from the repository). */
export function tinyBuildCommand(arch: QemuArch = 'x86_64'): string {
  return arch === 'aarch64' ? 'images/tiny/build.sh --arch arm64' : 'images/tiny/build.sh';
}

function buildHint(arch: QemuArch): string {
  // scripts/setup.sh builds the amd64 image; the arm64 one is built on demand.
  const setup = arch === 'x86_64' ? ' (or run scripts/setup.sh)' : '';
  return `build it with ${tinyBuildCommand(arch)}${setup}, or pass --qemu-image / --qemu-kernel`;
}

/**
 * The tiny test image for `arch` from the cache (`tiny-latest`, `tiny-arm64-latest`), or
 * PrerequisiteError (exit 3) saying how to build it.
 */
export async function loadTinyImage(cacheDir: string, arch: QemuArch = 'x86_64'): Promise<BootSource> {
  const dir = join(cacheDir, 'images', `${tinyImageName(arch)}-latest`);
  const manifestPath = join(dir, 'manifest.json');
  const what = arch === 'x86_64' ? 'the tiny test image' : `the ${arch} tiny test image`;
  const hint = buildHint(arch);
  // The manifest and the files through the real directory, resolved once: a rebuild moves
  // tiny-latest while a run goes on (see readImageManifest), and every machine of the run must
  // boot the build whose manifest was read. Messages name the -latest path users know.
  const real = await realpath(dir).catch(() => dir);
  let text: string;
  try {
    text = await readFile(join(real, 'manifest.json'), 'utf8');
  } catch {
    throw new PrerequisiteError({
      code: 'QEMU_TINY_IMAGE_MISSING',
      message: `no image was given and ${what} is not built (${manifestPath} is missing)`,
      hint,
      details: { path: manifestPath, arch },
    });
  }
  let manifest: TinyManifest;
  try {
    const raw = JSON.parse(text) as Partial<TinyManifest> & { files?: { kernel?: string; initrd?: string } };
    manifest = {
      name: raw.name ?? 'tiny',
      arch: typeof raw.arch === 'string' && raw.arch ? raw.arch : 'x86_64',
      cmdline: raw.cmdline ?? 'console=ttyS0',
      readyMarker: raw.readyMarker ?? 'mantle-tiny: ready',
      readyFile: raw.readyFile ?? '/run/mantle/ready',
      sshUser: raw.sshUser ?? 'core',
      ...(raw.osRelease ? { osRelease: raw.osRelease } : {}),
    };
  } catch (err) {
    throw new PrerequisiteError({
      code: 'QEMU_TINY_IMAGE_MISSING',
      message: `the tiny image manifest ${manifestPath} is not valid JSON`,
      hint: `rebuild it with ${tinyBuildCommand(arch)} --force`,
      cause: err,
    });
  }
  if (manifest.arch !== arch) {
    throw new PrerequisiteError({
      code: 'QEMU_TINY_IMAGE_MISSING',
      message: `${manifestPath} is an image for ${manifest.arch}, not ${arch}`,
      hint: `rebuild it with ${tinyBuildCommand(arch)} --force`,
      details: { path: manifestPath, arch, imageArch: manifest.arch },
    });
  }
  const kernel = join(real, 'vmlinuz');
  const initrd = join(real, 'initrd.img');
  await requireFile(kernel, 'tiny image kernel', hint);
  await requireFile(initrd, 'tiny image initrd', hint);
  return {
    kernel,
    initrd,
    append: manifest.cmdline,
    tiny: { dir, manifest },
    arch: manifest.arch,
    ready: { marker: manifest.readyMarker, file: manifest.readyFile, readiness: 'marker' },
  };
}

/**
 * Resolve a flight's boot source from its options (image, kernel, or the tiny default of the
 * machines' architecture).
 */
export async function resolveBootSource(
  opts: {
    image?: string;
    kernel?: string;
    initrd?: string;
    append?: string;
    cacheDir: string;
    arch?: QemuArch;
    qemuImg: () => Promise<string>;
  },
  logger?: Logger,
): Promise<BootSource> {
  if (!opts.image && !opts.kernel) {
    const tiny = await loadTinyImage(opts.cacheDir, opts.arch);
    if (opts.append) tiny.append = opts.append;
    return tiny;
  }
  const source: BootSource = {};
  if (opts.kernel) {
    source.kernel = resolve(opts.kernel);
    await requireFile(source.kernel, '--qemu-kernel', 'pass an existing kernel image (--qemu-kernel)');
    if (opts.initrd) {
      source.initrd = resolve(opts.initrd);
      await requireFile(source.initrd, '--qemu-initrd', 'pass an existing initrd (--qemu-initrd)');
    }
    source.append = opts.append ?? 'console=ttyS0';
  }
  if (opts.image) source.disk = await inspectDiskImage(opts.image, await opts.qemuImg(), logger);
  const beside = source.disk ? await manifestBeside(source.disk.path) : {};
  const found = beside.ready ? beside : source.kernel ? await manifestBeside(source.kernel) : {};
  if (found.ready) source.ready = found.ready;
  if (found.arch) source.arch = found.arch;
  return source;
}

async function requireFile(path: string, what: string, hint: string): Promise<void> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch (err) {
    // The tiny image's own files are a prerequisite (exit 3: build it); a --qemu-kernel or
    // --qemu-initrd that is not there is the user's input (exit 2).
    if (what.startsWith('tiny image')) {
      throw new PrerequisiteError({
        code: 'QEMU_FILE_MISSING',
        message: `${what} ${path} does not exist`,
        hint,
        details: { path },
      });
    }
    throw inputReadError(err, { flag: what, path });
  }
  if (!isFile) {
    throw new InputError({
      code: 'QEMU_NOT_A_FILE',
      message: `${what} ${path} is not a regular file`,
      hint,
      details: { path },
    });
  }
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);
// Enough of the head to see partition tables and file system superblocks (btrfs sits at 64 KiB).
const HEAD_BYTES = 0x10100;

/** Whether the first bytes of a raw file look like a disk or file system image. */
export function looksLikeRawImage(head: Buffer): boolean {
  const at = (off: number, bytes: number[] | string): boolean => {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    return head.length >= off + b.length && head.subarray(off, off + b.length).equals(b);
  };
  return (
    at(510, [0x55, 0xaa]) || // MBR / protective MBR / FAT boot sector
    at(512, 'EFI PART') || // GPT header
    at(1080, [0x53, 0xef]) || // ext2/3/4 superblock magic
    at(0, 'hsqs') || // squashfs
    at(1024, [0xe2, 0xe1, 0xf5, 0xe0]) || // erofs
    at(0, 'XFSB') ||
    at(0x10040, '_BHRfS_M') || // btrfs
    at(0x8001, 'CD001') // ISO 9660 (read past the 64 KiB head only if the file is big enough)
  );
}

/**
 * Check that `path` is a qcow2 or raw disk image qemu can boot: missing, not an image, a corrupt
 * qcow2 or another format → InputError (exit 2).
 */
export async function inspectDiskImage(path: string, qemuImg: string, logger?: Logger): Promise<DiskImage> {
  const abs = resolve(path);
  let size: number;
  try {
    const st = await stat(abs);
    if (!st.isFile()) {
      throw new InputError({
        code: 'QEMU_IMAGE_INVALID',
        message: `image ${abs} is not a regular file`,
        hint: 'pass a qcow2 or raw disk image file (--qemu-image)',
        details: { path: abs },
      });
    }
    size = st.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputReadError(err, { flag: 'image', path: abs });
  }
  const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
  const fh = await open(abs, 'r');
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const isQcow2 = head.subarray(0, 4).equals(QCOW2_MAGIC);
  // -U: read even if a running qemu holds the image; the format is only forced for qcow2 so
  // qemu-img names other formats (vmdk, vhdx, ...) instead of calling them raw.
  const info = await run(qemuImg, ['info', '-U', '--output=json', ...(isQcow2 ? ['-f', 'qcow2'] : []), abs], {
    reject: false,
    ...(logger ? { logger } : {}),
  });
  if (info.exitCode !== 0) {
    const why = info.stderr.trim().split('\n').pop() ?? 'qemu-img info failed';
    throw new InputError({
      code: 'QEMU_IMAGE_CORRUPT',
      message: `image ${abs} cannot be read as ${isQcow2 ? 'qcow2' : 'a disk image'}: ${why}`,
      hint: isQcow2
        ? 'the qcow2 file is damaged: download or build it again (qemu-img check may tell more)'
        : 'pass a qcow2 or raw disk image',
      details: { path: abs },
    });
  }
  let parsed: {
    format?: string;
    'virtual-size'?: number;
    'format-specific'?: { data?: { corrupt?: boolean } };
  };
  try {
    parsed = JSON.parse(info.stdout) as typeof parsed;
  } catch (err) {
    throw new InputError({
      code: 'QEMU_IMAGE_CORRUPT',
      message: `qemu-img info on ${abs} printed no JSON`,
      cause: err,
    });
  }
  const format = parsed.format;
  if (format === 'qcow2') {
    if (parsed['format-specific']?.data?.corrupt) {
      throw new InputError({
        code: 'QEMU_IMAGE_CORRUPT',
        message: `image ${abs} is a qcow2 marked corrupt`,
        hint: 'repair it with qemu-img check -r all, or download/build it again',
        details: { path: abs },
      });
    }
    return { path: abs, format: 'qcow2', virtualSize: parsed['virtual-size'] ?? 0 };
  }
  if (format !== 'raw') {
    throw new InputError({
      code: 'QEMU_IMAGE_FORMAT',
      message: `image ${abs} is ${format ?? 'of an unknown format'}; the qemu platform boots qcow2 or raw`,
      hint: `convert it: qemu-img convert -O qcow2 ${abs} image.qcow2`,
      details: { path: abs, format },
    });
  }
  if (size < 512 || !looksLikeRawImage(head)) {
    throw new InputError({
      code: 'QEMU_IMAGE_INVALID',
      message: `image ${abs} is not a disk image (no qcow2 header, partition table or file system found)`,
      hint: 'pass a qcow2 or raw disk image (--qemu-image)',
      details: { path: abs, size },
    });
  }
  return { path: abs, format: 'raw', virtualSize: parsed['virtual-size'] ?? size };
}

/** A qcow2 overlay over `base`, so machines never write the base image. */
export async function createOverlay(
  qemuImg: string,
  base: DiskImage,
  overlayPath: string,
  logger?: Logger,
): Promise<void> {
  await run(qemuImg, ['create', '-q', '-f', 'qcow2', '-F', base.format, '-b', base.path, overlayPath], {
    ...(logger ? { logger } : {}),
  });
}
