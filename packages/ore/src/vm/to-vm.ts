import { access, chmod, copyFile, mkdir, open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, PrerequisiteError } from '@mantle/core/errors';
import { parseVersionTxt } from '@mantle/core/image';
import { writeFileAtomic } from '@mantle/core/fs';
import { type Logger } from '@mantle/core/log';
import { sparseCopyFile } from '../convert/sparse-copy.js';
import {
  describeInput,
  rawFileOf,
  requireQemuImg,
  withWorkDir,
  type ConvertInput,
} from '../convert/input.js';
import { pendingOutput, type PendingOutput } from '../convert/output-file.js';
import { noProgress, type ProgressFactory } from '../convert/progress.js';
import { qemuImgConvert } from '../convert/qemu-img.js';
import { finishVhd } from '../convert/write-disk.js';
import { writeGceTarball } from '../convert/write-gce.js';
import { growRoot } from './grow-disk.js';
import { oemFiles, writeOemFiles } from './oem.js';
import { findPlatform, loadPlatforms, type VmPlatform } from './platforms.js';
import { OVMF_CANDIDATES, qemuLauncher, qemuReadme, vmxConfig } from './side-files.js';

export interface ToVmOptions {
  /** a production image (raw, optionally compressed, or any format qemu-img reads) */
  image: string;
  platform: string;
  /** default: the image's directory */
  outDir?: string;
  /** extra/overriding platform definitions (JSON) */
  platformsFile?: string;
  /** the OS version (default: FLATCAR_VERSION of version.txt next to the image, if any) */
  version?: string;
  /** an OEM sysext image to install as /oem/sysext/oem-<platform>-<version>.raw */
  oemSysext?: string;
  overwrite?: boolean;
  cwd?: string;
  logger?: Logger;
  signal?: AbortSignal;
  progress?: ProgressFactory;
}

/** What `ore image to-vm` returns. */
export interface ToVmResult {
  platform: string;
  oemId: string;
  /** the disk image written */
  image: string;
  diskFormat: string;
  /** every file written (image first) */
  files: string[];
  vmName: string;
  version: string | null;
  virtualSize: number;
  rootSectors: number;
  oemFilesystem: 'ext4' | 'btrfs';
  seconds: number;
}

/**
 * What the SDK's image_to_vm.sh does, without root: copy the image to a sparse raw work file,
 * grow ROOT (and the disk) to the platform's size, write the platform's OEM identity onto the
 * OEM partition as it is formatted, convert to the platform's format, and write its side files
 * (qemu launcher script and OVMF copies, .vmx, README). Every output appears atomically.
 */
export async function toVm(opts: ToVmOptions): Promise<ToVmResult> {
  const start = Date.now();
  const cwd = opts.cwd ?? process.cwd();
  const imagePath = resolve(cwd, opts.image);
  const table = await loadPlatforms(opts.platformsFile ? resolve(cwd, opts.platformsFile) : undefined);
  const p = findPlatform(table, opts.platform);
  const outDir = resolve(cwd, opts.outDir ?? dirname(opts.image));
  const progress = opts.progress ?? noProgress;
  const common = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    progress,
  };
  const input = await describeInput(imagePath, common);
  const version = opts.version ?? (await versionNextTo(imagePath));
  const prefix = imagePrefix(imagePath);
  const names = outputNames(prefix, p);
  const vmName = `${prefix}_${p.name}${version ? `-${version}` : ''}`.replace(/[.+]/g, '-');
  if (opts.oemSysext) await mustExist(resolve(cwd, opts.oemSysext), '--oem-sysext');
  const ovmf = p.conf === 'qemu_uefi' ? await findOvmf() : undefined;
  if (p.diskFormat !== 'raw' && p.diskFormat !== 'vhd' && p.diskFormat !== 'gce')
    await requireQemuImg(`write ${p.diskFormat} images`);
  else if (input.kind === 'qemu') await requireQemuImg(`read ${input.format} images`);

  // Reserve every output first: an existing one stops us before any work.
  await mkdir(outDir, { recursive: true });
  const pending: PendingOutput[] = [];
  try {
    for (const n of names.all)
      pending.push(await pendingOutput(join(outDir, n), { overwrite: opts.overwrite ?? false }));
    const [disk] = pending as [PendingOutput];
    opts.logger?.info(`${opts.image} -> ${names.image} (${p.name}: ${p.diskFormat}, oem_id ${p.oemId})`);
    const r = await withWorkDir(disk.path, async (work) => {
      const raw = await rawCopy(input, work, common);
      const grown = await growRoot(raw, p.rootSectors);
      if (grown.to !== grown.from)
        opts.logger?.info(
          `grew the disk from ${grown.from} to ${grown.to} bytes, ROOT to ${grown.rootTo} sectors`,
        );
      const files = oemFiles({
        oemId: p.oemId,
        platform: p.name,
        ...(p.grub ? { grub: p.grub } : {}),
        ...(version ? { version } : {}),
        ...(opts.oemSysext ? { sysext: resolve(cwd, opts.oemSysext) } : {}),
      });
      const fs = await writeOemFiles(raw, files, common);
      opts.logger?.info(`wrote ${files.map((f) => f.path).join(', ')} on the OEM partition (${fs})`);
      await writeDiskFormat(p, raw, grown.to, disk.tmp, common);
      return { virtualSize: grown.to, rootSectors: grown.rootTo, fs };
    });
    await writeSideFiles(p, names, pending.slice(1), { vmName, ovmf });
    for (const o of pending) await o.commit();
    return {
      platform: p.name,
      oemId: p.oemId,
      image: join(outDir, names.image),
      diskFormat: p.diskFormat,
      files: names.all.map((n) => join(outDir, n)),
      vmName,
      version: version ?? null,
      virtualSize: r.virtualSize,
      rootSectors: r.rootSectors,
      oemFilesystem: r.fs,
      seconds: (Date.now() - start) / 1000,
    };
  } catch (err) {
    for (const o of pending) await o.discard();
    throw err;
  }
}

interface OutputNames {
  image: string;
  script?: string;
  readme?: string;
  ovmfCode?: string;
  ovmfVars?: string;
  vmx?: string;
  all: string[];
}

/** flatcar_production_image.bin.bz2 -> flatcar_production (image_to_vm's naming). */
export function imagePrefix(file: string): string {
  let base = basename(file).replace(/(\.(gz|bz2|xz|zst|lz4))+$/, '');
  base = base.replace(/\.(bin|img|raw|qcow2|vmdk|vhd|vhdx)$/, '');
  return base.replace(/_image$/, '');
}

function outputNames(prefix: string, p: VmPlatform): OutputNames {
  const stem = `${prefix}_${p.name}`;
  // GCE's tarball is named without _image, as image_to_vm names it.
  const image = p.diskFormat === 'gce' ? `${stem}.${p.extension}` : `${stem}_image.${p.extension}`;
  const n: OutputNames = { image, all: [] };
  if (p.conf === 'qemu' || p.conf === 'qemu_uefi') {
    n.script = `${stem}.sh`;
    n.readme = `${stem}.README`;
  }
  if (p.conf === 'qemu_uefi') {
    n.ovmfCode = `${stem}_efi_code.fd`;
    n.ovmfVars = `${stem}_efi_vars.fd`;
  }
  if (p.conf === 'vmx') n.vmx = `${stem}.vmx`;
  n.all = [n.image, n.script, n.readme, n.ovmfCode, n.ovmfVars, n.vmx].filter((x): x is string => !!x);
  return n;
}

async function writeSideFiles(
  p: VmPlatform,
  names: OutputNames,
  outs: PendingOutput[],
  o: { vmName: string; ovmf: { code: string; vars: string } | undefined },
): Promise<void> {
  const byName = (n: string | undefined): PendingOutput => outs.find((x) => basename(x.path) === n)!;
  const mem = p.memoryMiB ?? 2048;
  if (names.script) {
    const script = byName(names.script);
    await writeFileAtomic(
      script.tmp,
      qemuLauncher({
        vmName: o.vmName,
        image: names.image,
        memoryMiB: mem,
        ...(names.ovmfCode && names.ovmfVars
          ? { pflash: { code: names.ovmfCode, vars: names.ovmfVars } }
          : {}),
      }),
    );
    await chmod(script.tmp, 0o755);
    await writeFileAtomic(byName(names.readme).tmp, qemuReadme(names.script));
  }
  if (o.ovmf && names.ovmfCode && names.ovmfVars) {
    await copyFile(o.ovmf.code, byName(names.ovmfCode).tmp);
    await copyFile(o.ovmf.vars, byName(names.ovmfVars).tmp);
  }
  if (names.vmx)
    await writeFileAtomic(
      byName(names.vmx).tmp,
      vmxConfig({ vmName: o.vmName, vmdk: names.image, memoryMiB: mem }),
    );
}

/** A sparse raw copy of the input in `workDir` (the work file to change); returns its path. */
async function rawCopy(
  input: ConvertInput,
  workDir: string,
  opts: { signal?: AbortSignal; progress: ProgressFactory; logger?: Logger },
): Promise<string> {
  if (input.kind !== 'raw') return (await rawFileOf(input, workDir, opts)).file;
  const out = join(workDir, 'disk.raw');
  await sparseCopyFile(input.file, out, opts.signal ? { signal: opts.signal } : {});
  return out;
}

async function writeDiskFormat(
  p: VmPlatform,
  raw: string,
  size: number,
  out: string,
  opts: { signal?: AbortSignal; progress: ProgressFactory; logger?: Logger },
): Promise<void> {
  switch (p.diskFormat) {
    case 'raw':
      await rename(raw, out);
      return;
    case 'vhd': {
      const fh = await open(raw, 'r+');
      try {
        await finishVhd(fh, size);
      } finally {
        await fh.close();
      }
      await rename(raw, out);
      return;
    }
    case 'gce':
      await writeGceTarball(raw, size, out, opts);
      return;
    case 'qcow2':
    case 'vmdk':
    case 'vmdk_stream': {
      const stream = p.diskFormat === 'vmdk_stream';
      const settings = p.qemu ?? {};
      await qemuImgConvert({
        input: raw,
        inputFormat: 'raw',
        output: out,
        outputFormat: p.diskFormat === 'qcow2' ? 'qcow2' : 'vmdk',
        options: [...(stream ? ['subformat=streamOptimized'] : []), ...(settings.options ?? [])],
        ...(settings.compress ? { compress: true } : {}),
        label: `raw -> ${p.diskFormat}`,
        total: size,
        ...opts,
      });
      return;
    }
  }
}

async function versionNextTo(image: string): Promise<string | undefined> {
  const file = join(dirname(image), 'version.txt');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseVersionTxt(text, file).version;
}

async function findOvmf(): Promise<{ code: string; vars: string }> {
  for (const c of OVMF_CANDIDATES) {
    try {
      await access(c.code);
      await access(c.vars);
      return c;
    } catch {
      // next
    }
  }
  throw new PrerequisiteError({
    code: 'OVMF_MISSING',
    message: `no OVMF firmware found (looked for ${OVMF_CANDIDATES.map((c) => c.code).join(', ')})`,
    hint: 'install it: apt-get install ovmf',
  });
}

async function mustExist(file: string, flag: string): Promise<void> {
  try {
    await access(file);
  } catch (err) {
    throw new InputError({
      code: 'FILE_NOT_FOUND',
      message: `${flag} ${file}: no such file`,
      hint: `check the path given to ${flag}`,
      cause: err,
      details: { file, flag },
    });
  }
}
