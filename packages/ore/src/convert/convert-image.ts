import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { type Logger } from '@mantle/core/log';
import { defaultOutputName, type OutputFormat } from './formats.js';
import {
  describeInput,
  qemuReadable,
  rawFileOf,
  requireQemuImg,
  withWorkDir,
  type ConvertInput,
} from './input.js';
import { withPendingOutput } from './output-file.js';
import { noProgress, type ProgressFactory } from './progress.js';
import { qemuImgConvert } from './qemu-img.js';
import { writeDisk } from './write-disk.js';
import { writeGceTarball } from './write-gce.js';

/** qemu-img settings of the formats it writes for us. */
export interface QemuFormatSettings {
  /** `-o` options */
  options?: readonly string[];
  /** qcow2 compression (`-c`) */
  compress?: boolean;
}

/** The qemu-img settings `ore image convert` uses per format. */
export const DEFAULT_QEMU_SETTINGS: Record<'qcow2' | 'vmdk' | 'vhdx', QemuFormatSettings> = {
  qcow2: {},
  // streamOptimized: what AWS VM import and vSphere's OVF import take.
  vmdk: { options: ['subformat=streamOptimized', 'adapter_type=lsilogic'] },
  vhdx: { options: ['subformat=dynamic'] },
};

export interface ConvertImageOptions {
  input: string;
  format: OutputFormat;
  /** default: next to the input, named after it (defaultOutputName) */
  out?: string;
  overwrite?: boolean;
  /** qemu-img settings for qcow2/vmdk/vhdx instead of the defaults */
  qemu?: QemuFormatSettings;
  /** pin the GCE tar entry time and the VHD footer (reproducible output) */
  mtime?: Date;
  cwd?: string;
  logger?: Logger;
  signal?: AbortSignal;
  progress?: ProgressFactory;
}

/** What `ore image convert` returns. */
export interface ConvertImageResult {
  input: string;
  inputFormat: string;
  compression: string;
  output: string;
  format: OutputFormat;
  /** bytes of the virtual disk written */
  virtualSize: number;
  /** bytes of the output file */
  fileSize: number;
  /** non-zero bytes of disk data carried over (natively written formats) */
  dataBytes?: number;
  seconds: number;
}

/**
 * Convert a disk image (raw, qcow2, VMDK, VHD, VHDX; optionally gz/bz2/xz/zst/lz4 compressed) to
 * `format`. Raw and fixed VHD outputs are written natively and sparse, a compressed raw input
 * decompressed on the fly; the GCE tarball is written natively from a raw file (a compressed or
 * qemu-format input is first made a sparse raw work file next to the output); qcow2/VMDK/VHDX
 * go through qemu-img. The output appears atomically (temp + rename) or not at all.
 */
export async function convertImage(opts: ConvertImageOptions): Promise<ConvertImageResult> {
  const start = Date.now();
  const cwd = opts.cwd ?? process.cwd();
  const inputPath = resolve(cwd, opts.input);
  const outPath = resolve(
    cwd,
    opts.out ?? join(dirname(opts.input), defaultOutputName(opts.input, opts.format)),
  );
  if (outPath === inputPath) {
    throw new InputError({
      code: 'CONVERT_SAME_FILE',
      message: `--out ${opts.out ?? outPath} is the input file`,
      hint: 'write the converted image to another path',
      details: { file: opts.input },
    });
  }
  const common = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    progress: opts.progress ?? noProgress,
  };
  const input = await describeInput(inputPath, common);
  if (['qcow2', 'vmdk', 'vhdx'].includes(opts.format) || input.kind === 'qemu')
    await requireQemuImg(`convert ${input.format} to ${opts.format}`);
  opts.logger?.info(
    `${opts.input}: ${input.format}${input.compression !== 'none' ? ` (${input.compression})` : ''} -> ${opts.format}`,
  );

  const written = await withPendingOutput(outPath, { overwrite: opts.overwrite ?? false }, async (out) => {
    return withWorkDir(outPath, (workDir) => convertInto(input, out.tmp, opts, workDir, common));
  });
  const st = await stat(outPath);
  return {
    input: opts.input,
    inputFormat: input.format,
    compression: input.compression,
    output: opts.out ?? outPath,
    format: opts.format,
    virtualSize: written.virtualSize,
    fileSize: st.size,
    ...(written.dataBytes !== undefined ? { dataBytes: written.dataBytes } : {}),
    seconds: (Date.now() - start) / 1000,
  };
}

async function convertInto(
  input: ConvertInput,
  tmp: string,
  opts: ConvertImageOptions,
  workDir: string,
  common: { signal?: AbortSignal; logger?: Logger; progress: ProgressFactory },
): Promise<{ virtualSize: number; dataBytes?: number }> {
  const vhdFooter = opts.mtime ? { timestamp: opts.mtime, uniqueId: Buffer.alloc(16, 0x6d) } : {};
  switch (opts.format) {
    case 'raw':
    case 'vhd': {
      if (input.kind !== 'qemu') return writeDisk(input, tmp, opts.format, { ...common, vhd: vhdFooter });
      const raw = await rawFileOf(input, workDir, common);
      return writeDisk(
        { ...input, file: raw.file, kind: 'raw', compression: 'none', size: raw.size },
        tmp,
        opts.format,
        {
          ...common,
          vhd: vhdFooter,
        },
      );
    }
    case 'gce': {
      const raw = await rawFileOf(input, workDir, common);
      const r = await writeGceTarball(raw.file, raw.size, tmp, {
        ...common,
        ...(opts.mtime ? { mtime: opts.mtime } : {}),
      });
      return { virtualSize: raw.size, dataBytes: r.dataBytes };
    }
    case 'qcow2':
    case 'vmdk':
    case 'vhdx': {
      const src = await qemuReadable(input, workDir, common);
      const settings = opts.qemu ?? DEFAULT_QEMU_SETTINGS[opts.format];
      await qemuImgConvert({
        input: src.file,
        inputFormat: src.format,
        output: tmp,
        outputFormat: opts.format,
        ...(settings.options ? { options: settings.options } : {}),
        ...(settings.compress ? { compress: true } : {}),
        label: `${input.format} -> ${opts.format}`,
        ...(input.size !== undefined ? { total: input.size } : {}),
        ...common,
      });
      return { virtualSize: input.size ?? 0 };
    }
  }
}
