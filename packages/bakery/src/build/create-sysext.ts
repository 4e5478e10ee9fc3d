import { randomBytes } from 'node:crypto';
import { lstat, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { onCleanup } from '@mantle/core/cli';
import { requireTool } from '@mantle/core/exec';
import { hashFile } from '@mantle/core/verify';
import { checkInputPath, checkOutputDir, ensureOutputDir, PathProblem } from '@mantle/core/fs';
import {
  buildExtensionRelease,
  extensionReleasePath,
  formatExtensionRelease,
} from '../sysext/extension-release.js';
import {
  checkName,
  checkVersion,
  imageFileName,
  normalizeSystemdArch,
  type SysextArch,
} from '../sysext/names.js';
import { checkTree, type TreeSummary } from '../sysext/tree-check.js';
import { parseUpholds, upholdDropIn, upholdDropInPath, type Uphold } from '../sysext/upholds.js';
import { buildBtrfs } from './btrfs.js';
import { buildErofs } from './erofs.js';
import { buildExt4 } from './ext4.js';
import { SYSEXT_FORMATS, type BuildInput, type GeneratedFile, type SysextFormat } from './formats.js';
import { buildSquashfs } from './squashfs.js';
import { upsertSums } from './sums-file.js';

export interface CreateSysextOptions {
  name: string;
  /** the source tree holding usr/ (and opt/) */
  from: string;
  version?: string;
  /** x86-64 (default) or arm64; aliases amd64/x86_64/aarch64 */
  arch?: string;
  /** os-release ID or _any (default) */
  os?: string;
  sysextLevel?: string;
  versionId?: string;
  format?: string;
  reloadManager?: boolean;
  scope?: readonly string[];
  /** UNIT or TARGET:UNIT */
  upholds?: readonly string[];
  /** SOURCE_DATE_EPOCH for every timestamp (seconds, or their decimal text); default $SOURCE_DATE_EPOCH, else 0 */
  epoch?: number | string;
  /** where the image and SHA256SUMS go (created if missing; its parent must exist); default cwd */
  outDir?: string;
  /** replace an image of the same name, version and architecture in outDir */
  force?: boolean;
  allowSetuid?: boolean;
  /** squashfs compressor; default gzip (what sysext-bakery and plain mksquashfs use) */
  compression?: string;
  /** files to add besides metadata and drop-ins (recipes add units this way) */
  extraFiles?: readonly GeneratedFile[];
  /** update SHA256SUMS in the output directory (default true) */
  sums?: boolean;
  /** `from` is a hard-link farm of another tree (flatwrap): its links to that tree are expected */
  mirroredTree?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface CreateSysextResult {
  name: string;
  version?: string;
  arch: SysextArch;
  format: SysextFormat;
  /** the image file name, NAME-VERSION-ARCH.raw */
  file: string;
  /** absolute path of the image */
  path: string;
  sha256: string;
  size: number;
  /** the SHA256SUMS file updated, when any */
  sumsFile?: string;
  metadataPath: string;
  metadata: Record<string, string>;
  upholds: Uphold[];
  generated: string[];
  epoch: number;
  tree: Omit<TreeSummary, 'warnings'>;
  /** erofs/btrfs: how the staging tree was made */
  staging?: 'hardlink' | 'copy';
  reproducible: boolean;
  warnings: string[];
}

const COMPRESSORS = ['gzip', 'zstd', 'xz', 'lz4', 'lzo'];

/** Build a sysext image from a directory tree, validated first, written atomically, recorded in SHA256SUMS. */
export async function createSysext(opts: CreateSysextOptions): Promise<CreateSysextResult> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const name = checkName(opts.name, 'NAME');
  const version = opts.version === undefined ? undefined : checkVersion(opts.version);
  const arch = normalizeSystemdArch(opts.arch ?? 'x86-64');
  const format = checkFormat(opts.format ?? 'squashfs');
  const epoch = resolveEpoch(opts.epoch, env);
  if (opts.compression !== undefined && (format !== 'squashfs' || !COMPRESSORS.includes(opts.compression))) {
    throw new InputError({
      code: 'BAD_COMPRESSION',
      message: `--compression ${opts.compression} is not a squashfs compressor${format !== 'squashfs' ? ` (and the format is ${format})` : ''}`,
      hint: `use ${COMPRESSORS.join(', ')} with --format squashfs`,
    });
  }
  const { release, warnings } = buildExtensionRelease({
    ...(opts.os !== undefined ? { os: opts.os } : {}),
    ...(opts.sysextLevel !== undefined ? { sysextLevel: opts.sysextLevel } : {}),
    ...(opts.versionId !== undefined ? { versionId: opts.versionId } : {}),
    arch,
    ...(opts.reloadManager ? { reloadManager: true } : {}),
    ...(opts.scope ? { scope: opts.scope } : {}),
  });
  const upholds = parseUpholds(opts.upholds ?? []);
  const metadataPath = extensionReleasePath(name);
  const generated: GeneratedFile[] = [{ path: metadataPath, content: formatExtensionRelease(release) }];
  for (const u of upholds) generated.push({ path: upholdDropInPath(u), content: upholdDropIn(u) });
  for (const f of opts.extraFiles ?? []) {
    if (generated.some((g) => g.path === f.path))
      throw new InputError({
        code: 'BAD_EXTRA_FILE',
        message: `${f.path} is generated twice`,
        hint: 'drop the duplicate file',
      });
    generated.push(f);
  }
  const from = await checkInputPath(opts.from, { cwd, flag: '--from', kind: 'dir' });
  const outFlag = { cwd, flag: '--out' };
  // --out is checked before the tree is read or a tool runs: a file, a missing parent, a
  // read-only place or /proc is exit 2 at once.
  const outDir = (await checkOutputDir(opts.outDir ?? '.', outFlag)).path;
  const file = imageFileName(name, version, arch);
  const finalPath = join(outDir, file);
  if (!opts.force && (await lstat(finalPath).catch(() => undefined))) {
    throw new InputError({
      code: PathProblem.OutputExists,
      message: `${join(opts.outDir ?? '.', file)} already exists (an image of the same name, version and architecture)`,
      hint: 'pass --force to replace it, give another --version, or choose another --out',
      details: { path: finalPath },
    });
  }
  const rel = relative(from, outDir);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new InputError({
      code: 'OUT_INSIDE_TREE',
      message: `--out ${opts.outDir ?? '.'} is inside --from ${opts.from}: the image would end up in itself`,
      hint: 'write the image next to the tree, e.g. --out .. or --out /tmp/out',
      details: { field: '--out' },
    });
  }
  await preflight(format, env);

  const tree = await checkTree(from, {
    os: release.id,
    allowSetuid: opts.allowSetuid ?? false,
    generated: generated.map((g) => g.path),
    ...(opts.mirroredTree ? { mirrored: true } : {}),
  });
  warnings.push(...tree.warnings);
  const unitDir = 'usr/lib/systemd/system/';
  const genUnits = generated
    .filter((g) => g.path.startsWith(unitDir) && !g.path.slice(unitDir.length).includes('/'))
    .map((g) => g.path.slice(unitDir.length));
  const shipped = new Set([...tree.units, ...genUnits]);
  for (const u of upholds) {
    if (!shipped.has(u.unit))
      warnings.push(
        `--upholds ${u.unit}: the image ships no usr/lib/systemd/system/${u.unit}; it must exist on the host`,
      );
  }
  if (shipped.size > 0 && !opts.reloadManager) {
    warnings.push(
      'the image ships systemd units but not EXTENSION_RELOAD_MANAGER=1: hosts must run systemctl daemon-reload after merging (pass --reload-manager)',
    );
  }

  await ensureOutputDir(opts.outDir ?? '.', outFlag);
  const tmp = join(outDir, `.${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const scratch = await mkdtemp(join(outDir, '.bakery-scratch-'));
  const removeTemp = async (): Promise<void> => {
    await rm(tmp, { force: true });
    await rm(scratch, { recursive: true, force: true });
  };
  const unregister = onCleanup(removeTemp, `remove ${tmp}`);
  let staging: 'hardlink' | 'copy' | undefined;
  try {
    const input: BuildInput = {
      source: from,
      generated,
      out: tmp,
      epoch,
      seed: `${name}\0${version ?? ''}\0${arch}\0${format}`,
      scratch,
      env,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.compression ? { compression: opts.compression } : {}),
    };
    opts.logger?.debug(`building ${format} ${file} from ${from}`);
    if (format === 'squashfs') await buildSquashfs(input);
    else if (format === 'erofs') staging = (await buildErofs(input)).staging;
    else if (format === 'ext4') await buildExt4(input);
    else staging = (await buildBtrfs(input)).staging;
    const sha256 = await hashFile(tmp);
    const size = (await stat(tmp)).size;
    await rename(tmp, finalPath);
    const sumsFile = opts.sums === false ? undefined : join(outDir, 'SHA256SUMS');
    if (sumsFile) await upsertSums(sumsFile, file, sha256);
    const { warnings: _w, ...treeInfo } = tree;
    void _w;
    return {
      name,
      ...(version !== undefined ? { version } : {}),
      arch,
      format,
      file,
      path: finalPath,
      sha256,
      size,
      ...(sumsFile ? { sumsFile } : {}),
      metadataPath,
      metadata: release.fields,
      upholds,
      generated: generated.map((g) => g.path),
      epoch,
      tree: treeInfo,
      ...(staging ? { staging } : {}),
      reproducible: format !== 'btrfs',
      warnings,
    };
  } finally {
    await removeTemp();
    unregister();
  }
}

function checkFormat(f: string): SysextFormat {
  if (!(SYSEXT_FORMATS as readonly string[]).includes(f)) {
    throw new InputError({
      code: 'BAD_FORMAT',
      message: `--format ${JSON.stringify(f)} is not a sysext format`,
      hint: `use ${SYSEXT_FORMATS.join(', ')}`,
      details: { field: '--format', value: f },
    });
  }
  return f as SysextFormat;
}

function resolveEpoch(epoch: number | string | undefined, env: NodeJS.ProcessEnv): number {
  // --epoch arrives as typed (a string from the CLI), so a bad value is echoed as the user wrote it.
  const text =
    epoch ??
    (env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== '' ? env.SOURCE_DATE_EPOCH : 0);
  const raw = typeof text === 'number' ? text : /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(raw) || raw < 0 || raw > 0xffffffff) {
    throw new InputError({
      code: 'BAD_EPOCH',
      message: `${epoch !== undefined ? '--epoch' : 'SOURCE_DATE_EPOCH'} ${JSON.stringify(String(epoch ?? env.SOURCE_DATE_EPOCH))} is not a Unix time`,
      hint: 'give whole seconds since 1970 (e.g. the last commit time: git log -1 --format=%ct)',
    });
  }
  return raw;
}

const TOOL: Record<SysextFormat, [string, string]> = {
  squashfs: ['mksquashfs', 'squashfs-tools'],
  erofs: ['mkfs.erofs', 'erofs-utils'],
  ext4: ['mke2fs', 'e2fsprogs'],
  btrfs: ['mkfs.btrfs', 'btrfs-progs'],
};

// Fail on a missing tool before walking a large tree.
async function preflight(format: SysextFormat, env: NodeJS.ProcessEnv): Promise<void> {
  const [tool, pkg] = TOOL[format];
  await requireTool(tool, { debianPackage: pkg, purpose: `build ${format} sysext images`, env });
}
