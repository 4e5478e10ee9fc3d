import { UsageError } from '@mantle/core/errors';

/** The formats `ore image convert` writes. */
export const OUTPUT_FORMATS = ['raw', 'qcow2', 'vmdk', 'vhd', 'vhdx', 'gce'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The file name ending each format gets when no --out is given. */
export const FORMAT_SUFFIX: Record<OutputFormat, string> = {
  raw: '.raw',
  qcow2: '.qcow2',
  vmdk: '.vmdk',
  vhd: '.vhd',
  vhdx: '.vhdx',
  gce: '.tar.gz',
};

/** What each format is, for help and errors. */
export const FORMAT_DESCRIPTIONS: Record<OutputFormat, string> = {
  raw: 'plain disk (sparse)',
  qcow2: 'qemu copy-on-write v2 (qemu-img)',
  vmdk: 'VMware disk, streamOptimized (what AWS VM import takes; qemu-img)',
  vhd: 'fixed VHD: the disk + a 512-byte footer, size aligned to 1 MiB (Azure; written natively)',
  vhdx: 'Hyper-V VHDX, dynamic (qemu-img)',
  gce: "Google Compute Engine: disk.raw in a gzip'd oldgnu tar, sparse (written natively)",
};

/** Check a --format value; unknown ones are a usage error listing the known ones. */
export function parseOutputFormat(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError({
    code: 'CONVERT_UNKNOWN_FORMAT',
    message: `unknown output format "${value}"`,
    hint: `use one of: ${OUTPUT_FORMATS.join(', ')}`,
    details: { flag: '--format', value },
  });
}

// The endings an input name may carry that the default output name drops.
const INPUT_ENDINGS = [
  '.gz',
  '.bz2',
  '.xz',
  '.zst',
  '.lz4',
  '.bin',
  '.img',
  '.raw',
  '.qcow2',
  '.vmdk',
  '.vhd',
  '.vhdx',
];

/** The default output name: the input's name without its image and compression endings, plus the format's. */
export function defaultOutputName(input: string, format: OutputFormat): string {
  let base = input.replace(/^.*\//, '');
  for (let changed = true; changed;) {
    changed = false;
    for (const e of INPUT_ENDINGS) {
      if (base.length > e.length && base.toLowerCase().endsWith(e)) {
        base = base.slice(0, -e.length);
        changed = true;
      }
    }
  }
  return base + FORMAT_SUFFIX[format];
}
