import { stat } from 'node:fs/promises';
import { InputError } from '../errors/mantle-error.js';
import type { Logger } from '../log/logger.js';
import { formatExt4 } from './ext4.js';
import { fatCopyDir, formatFat } from './fat.js';
import { partitionBytes } from './gpt/index.js';
import { PartitionType } from './partition-types.js';
import { createLayoutImage, type LayoutImageResult } from './layout-image.js';
import { loadLayout, parseSize, type DiskLayout, type PlacedPartition } from './layout.js';
import type { PartitionRef } from './partition-ref.js';

/** Filesystems mantle can make in a partition without root. */
export const FILLABLE_FS_TYPES = ['vfat', 'ext4', 'ext2'] as const;
export type FillableFsType = (typeof FILLABLE_FS_TYPES)[number];

/** What to put into one partition. */
export interface PartitionFill {
  /** local directory whose contents go into the new filesystem */
  dir?: string;
  /** filesystem to make; default: the layout's fs_type */
  fsType?: FillableFsType;
  /** filesystem label; default: the layout's fs_label, else the partition label */
  label?: string;
}

export interface CreateDiskImageOptions {
  out: string;
  /** a DiskLayout, a built-in name (flatcar, vm) or a layout file; default flatcar */
  layout?: DiskLayout | string;
  /** bytes, or a size string like 8G; default: the layout's own size */
  size?: number | string;
  /** partitions to fill, by label (ROOT, EFI-SYSTEM, OEM) or number */
  fill?: Readonly<Record<string, PartitionFill>>;
  /** also make empty filesystems where the layout names vfat/ext2/ext4 (default true) */
  formatAll?: boolean;
  overwrite?: boolean;
  diskGuid?: string;
  cwd?: string;
  logger?: Logger;
}

export interface FilledPartition {
  number: number;
  label: string;
  fsType: FillableFsType;
  fromDir?: string;
}

export interface DiskImageResult extends LayoutImageResult {
  filesystems: FilledPartition[];
}

/**
 * Create a disk image from a layout and fill partitions from directories — EFI as FAT (mkfs.vfat +
 * mtools), ROOT/OEM as ext4 (mke2fs -d) — all without root. Validates the layout, the size and
 * every fill entry before writing; builds a temp file and renames it into place.
 */
export async function createDiskImage(opts: CreateDiskImageOptions): Promise<DiskImageResult> {
  const layout =
    typeof opts.layout === 'object'
      ? opts.layout
      : await loadLayout(opts.layout ?? 'flatcar', opts.cwd ? { cwd: opts.cwd } : {});
  const size = opts.size === undefined ? undefined : parseSize(opts.size, 'image size');
  const plan = await planFills(layout, opts.fill ?? {}, opts.formatAll ?? true);
  const filesystems: FilledPartition[] = [];

  const result = await createLayoutImage({
    out: opts.out,
    layout,
    ...(size !== undefined ? { size } : {}),
    ...(opts.overwrite ? { overwrite: true } : {}),
    ...(opts.diskGuid ? { diskGuid: opts.diskGuid } : {}),
    populate: async (tmp, table, placed) => {
      for (const item of plan) {
        const p = placed.partitions.find((q) => q.number === item.number) as PlacedPartition;
        const ref: PartitionRef = {
          image: tmp,
          ...partitionBytes(table, p),
          number: p.number,
          label: p.label,
        };
        opts.logger?.debug(
          `formatting partition ${p.number} (${p.label}) as ${item.fsType}${item.dir ? ` from ${item.dir}` : ''}`,
        );
        if (item.fsType === 'vfat') {
          const esp = p.type === PartitionType.EFI_SYSTEM && ref.size >= 64 * 1024 * 1024;
          await formatFat(ref, {
            label: item.label.slice(0, 11),
            ...(esp ? { fatSize: 32 as const } : {}),
            logger: opts.logger,
          });
          if (item.dir) await fatCopyDir(ref, item.dir, { logger: opts.logger });
        } else {
          await formatExt4(ref, {
            fsType: item.fsType,
            label: item.label.slice(0, 16),
            blockSize: p.fsBlockSize,
            ...(p.fsBlocks !== undefined && p.fsBlocks * p.fsBlockSize <= ref.size
              ? { blocks: p.fsBlocks }
              : {}),
            ...(item.dir ? { fromDir: item.dir } : {}),
            logger: opts.logger,
          });
        }
        filesystems.push({
          number: p.number,
          label: p.label,
          fsType: item.fsType,
          ...(item.dir ? { fromDir: item.dir } : {}),
        });
      }
    },
  });
  return { ...result, filesystems };
}

/** The same as createDiskImage with the Flatcar layout as default: the disk kola tests and bakery start from. */
export async function createFlatcarTestDisk(opts: CreateDiskImageOptions): Promise<DiskImageResult> {
  return createDiskImage({ ...opts, layout: opts.layout ?? 'flatcar' });
}

interface FillPlan {
  number: number;
  fsType: FillableFsType;
  label: string;
  dir?: string;
}

async function planFills(
  layout: DiskLayout,
  fill: Readonly<Record<string, PartitionFill>>,
  formatAll: boolean,
): Promise<FillPlan[]> {
  const plan = new Map<number, FillPlan>();
  for (const [key, f] of Object.entries(fill)) {
    const p =
      layout.partitions.find((q) => q.label === key) ??
      (/^[0-9]+$/.test(key) ? layout.partitions.find((q) => q.number === Number(key)) : undefined);
    if (!p) {
      throw new InputError({
        code: 'PARTITION_NOT_FOUND',
        message: `layout ${layout.name} has no partition ${JSON.stringify(key)} to fill`,
        hint: `its partitions are: ${layout.partitions.map((q) => `${q.number} ${q.label}`).join(', ')}`,
        details: { layout: layout.name, partition: key },
      });
    }
    const fsType = f.fsType ?? p.fsType;
    if (!fsType || !(FILLABLE_FS_TYPES as readonly string[]).includes(fsType)) {
      throw new InputError({
        code: 'FS_UNSUPPORTED',
        message: `partition ${p.number} (${p.label}): cannot make a ${fsType ?? 'unnamed'} filesystem without root`,
        hint: `pass fsType (one of ${FILLABLE_FS_TYPES.join(', ')}) for ${p.label}`,
        details: { partition: p.number, field: 'fs_type' },
      });
    }
    if (f.dir) {
      const st = await stat(f.dir).catch(() => undefined);
      if (!st?.isDirectory()) {
        throw new InputError({
          code: 'FS_SOURCE_NOT_DIR',
          message: `fill for ${p.label}: ${f.dir} is not a directory`,
          hint: 'pass an existing directory',
          details: { partition: p.number, dir: f.dir },
        });
      }
    }
    plan.set(p.number, {
      number: p.number,
      fsType: fsType as FillableFsType,
      label: f.label ?? p.fsLabel ?? p.label,
      ...(f.dir ? { dir: f.dir } : {}),
    });
  }
  if (formatAll) {
    for (const p of layout.partitions) {
      if (plan.has(p.number) || !p.fsType || !(FILLABLE_FS_TYPES as readonly string[]).includes(p.fsType))
        continue;
      plan.set(p.number, {
        number: p.number,
        fsType: p.fsType as FillableFsType,
        label: p.fsLabel ?? p.label,
      });
    }
  }
  return [...plan.values()].sort((a, b) => a.number - b.number);
}
