import { open } from 'node:fs/promises';
import { InputError } from '@mantle/core/errors';
import { readGpt, toGptSpec, writeGpt, type GptTable } from '@mantle/core/disk';

// What `disk_util update` does for image_to_vm: the ROOT partition (the last one) gets the
// platform's size and the disk grows to hold it, rounded up to Flatcar's disk alignment (258048
// sectors: a whole number of 2 MiB and of 16x63 CHS cylinders, which VHD wants). The file system
// inside ROOT is not touched: Flatcar grows it on first boot.

/** Flatcar's disk_alignment, in sectors. */
export const DISK_ALIGNMENT_SECTORS = 258048;

export interface GrowResult {
  /** disk bytes before and after */
  from: number;
  to: number;
  /** ROOT sectors before and after */
  rootFrom: number;
  rootTo: number;
  table: GptTable;
}

/**
 * Give ROOT at least `rootSectors` sectors and make the disk large enough for it (a sparse
 * extension of the file); never shrinks. ROOT must be the partition that ends last.
 */
export async function growRoot(file: string, rootSectors: number, label = 'ROOT'): Promise<GrowResult> {
  const table = await readGpt(file);
  const root = table.partitions.find((p) => p.name === label);
  if (!root) {
    throw new InputError({
      code: 'VM_NO_ROOT',
      message: `${file} has no partition labelled ${label}`,
      hint: 'to-vm takes Flatcar-layout images (EFI-SYSTEM, USR-A, OEM, ROOT, ...)',
      details: { file },
    });
  }
  const last = table.partitions.reduce((a, b) => (b.endLba > a.endLba ? b : a));
  if (last.number !== root.number) {
    throw new InputError({
      code: 'VM_ROOT_NOT_LAST',
      message: `${file}: partition ${last.number} (${last.name}) ends after ${label}, so ${label} cannot grow`,
      hint: 'to-vm grows the last partition, ROOT, as Flatcar images have it',
      details: { file },
    });
  }
  const ss = table.sectorSize;
  const rootTo = Math.max(root.sizeLba, Math.ceil((rootSectors * 512) / ss));
  const entrySectors = Math.ceil((table.entryCount * table.entrySize) / ss);
  // backup entry array + header after ROOT, then round up to the alignment (in 512-byte units)
  const minSectors = root.startLba + rootTo + entrySectors + 1;
  const align = (DISK_ALIGNMENT_SECTORS * 512) / ss;
  const disk = Math.max(table.diskSize, Math.ceil(minSectors / align) * align * ss);
  if (disk === table.diskSize && rootTo === root.sizeLba) {
    return { from: table.diskSize, to: disk, rootFrom: root.sizeLba, rootTo, table };
  }
  const fh = await open(file, 'r+');
  try {
    await fh.truncate(disk);
    // The old backup GPT at the old end is now in the middle of the disk: clear it.
    const old = Buffer.alloc(ss * (entrySectors + 1));
    await fh.write(old, 0, old.length, table.diskSize - old.length);
  } finally {
    await fh.close();
  }
  const spec = toGptSpec(table);
  // Fill the disk up to its end: GPT's last usable sector moves with the backup.
  const grown = await writeGpt(file, {
    ...spec,
    partitions: spec.partitions.map((p) => (p.number === root.number ? { ...p, sizeLba: rootTo } : p)),
  });
  return { from: table.diskSize, to: disk, rootFrom: root.sizeLba, rootTo, table: grown };
}
