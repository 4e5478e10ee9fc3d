import { open, readFile } from 'node:fs/promises';
import { InputError } from '../errors/mantle-error.js';
import { PartitionType } from './partition-types.js';
import { readGpt, type GptPartition } from './gpt/index.js';

// GRUB's BIOS boot set up in userspace, without grub-install/grub-bios-setup (they want a block
// device, root, and the host's GRUB installation). What grub-bios-setup does for a GPT disk with a
// BIOS boot partition, and what this does the same way:
// - the MBR gets boot.img's boot code; the disk signature, the (protective) partition table and the
//   0x55AA mark are kept, as is the BPB area of the existing sector;
// - boot.img is told where core.img starts (its "kernel sector", an LBA) and to trust the drive
//   number the BIOS passes (boot drive 0xFF, the drive check jump replaced by NOPs);
// - core.img goes into the BIOS boot partition; its first sector (diskboot) carries a block list
//   that must point at the rest of core.img: one run, first sector + 1, length sectors - 1.

const SECTOR = 512;
/** boot.img: where the BIOS parameter block lives (copied from the existing sector) */
const BPB_START = 0x03;
const BPB_END = 0x5a;
/** boot.img: the LBA of core.img's first sector (u64 LE) */
const KERNEL_SECTOR = 0x5c;
/** boot.img: the BIOS drive to load from; 0xFF = the drive the BIOS booted (DL) */
const BOOT_DRIVE = 0x64;
/** boot.img: a jump that, when kept, forces drive 0x80 on BIOSes passing a bad DL */
const DRIVE_CHECK = 0x66;
/** the MBR from here on (disk signature, partition table, 0x55AA) is the disk's, not boot.img's */
const MBR_KEPT_FROM = 0x1b8;
/** diskboot's block list entry: start (u64), length (u16), segment (u16) at the end of sector 0 */
const BLOCKLIST = SECTOR - 12;

export interface GrubBiosOptions {
  /** a raw disk image with a GPT holding a BIOS boot partition */
  image: string;
  /** GRUB's boot.img (e.g. /usr/lib/grub/i386-pc/boot.img) */
  bootImg: string | Uint8Array;
  /** a core.img made with `grub-mkimage -O i386-pc` (diskboot first) */
  coreImg: string | Uint8Array;
  /** the partition for core.img: number or label; default the one partition of type BIOS boot */
  partition?: number | string;
}

export interface GrubBiosResult {
  partition: number;
  /** LBA of core.img's first sector */
  firstSector: number;
  /** core.img's length in sectors */
  sectors: number;
}

const bytesOf = async (v: string | Uint8Array): Promise<Buffer> =>
  typeof v === 'string' ? readFile(v) : Buffer.from(v);

/** Make a GPT disk image boot GRUB from BIOS (SeaBIOS): boot code in the MBR, core.img in the BIOS boot partition. */
export async function installGrubBios(opts: GrubBiosOptions): Promise<GrubBiosResult> {
  const boot = await bytesOf(opts.bootImg);
  const core = await bytesOf(opts.coreImg);
  const what = (v: string | Uint8Array, name: string): string => (typeof v === 'string' ? v : name);
  if (boot.length !== SECTOR || boot.readUInt16LE(510) !== 0xaa55) {
    throw new InputError({
      code: 'BAD_BOOT_IMG',
      message: `${what(opts.bootImg, 'boot.img')} is not GRUB's boot.img (${boot.length} bytes; 512 with the 0x55AA mark expected)`,
      hint: 'use /usr/lib/grub/i386-pc/boot.img (Debian package grub-pc-bin)',
    });
  }
  if (core.length < 2 * SECTOR) {
    throw new InputError({
      code: 'BAD_CORE_IMG',
      message: `${what(opts.coreImg, 'core.img')} is ${core.length} bytes, too small for a GRUB core.img`,
      hint: 'make it with grub-mkimage -O i386-pc -o core.img -p PREFIX biosdisk part_gpt ...',
    });
  }

  const table = await readGpt(opts.image);
  if (table.sectorSize !== SECTOR) {
    throw new InputError({
      code: 'BIOS_BOOT_SECTOR_SIZE',
      message: `${opts.image} has ${table.sectorSize}-byte sectors; BIOS boot needs 512-byte sectors`,
      hint: 'boot 4K-sector disks with UEFI',
    });
  }
  const part = pickPartition(table.partitions, opts.partition, opts.image);
  if (part.type.toUpperCase() !== PartitionType.BIOS_BOOT) {
    throw new InputError({
      code: 'NOT_BIOS_BOOT_PARTITION',
      message: `${opts.image}: partition ${part.number} (${part.name || 'unnamed'}) has type ${part.type}, not BIOS boot (${PartitionType.BIOS_BOOT})`,
      hint: 'give the BIOS boot partition (Flatcar layouts: BIOS-BOOT, number 2)',
    });
  }
  const sectors = Math.ceil(core.length / SECTOR);
  if (sectors > part.sizeLba) {
    throw new InputError({
      code: 'CORE_IMG_TOO_BIG',
      message: `core.img needs ${sectors} sectors, partition ${part.number} (${part.name}) has ${part.sizeLba}`,
      hint: 'embed fewer modules into core.img, or grow the BIOS boot partition',
    });
  }

  const first = part.startLba;
  const coreOut = Buffer.alloc(sectors * SECTOR);
  core.copy(coreOut);
  coreOut.writeBigUInt64LE(BigInt(first + 1), BLOCKLIST);
  coreOut.writeUInt16LE(sectors - 1, BLOCKLIST + 8);
  // the segment mkimage wrote (0x820: right after diskboot at 0x8000) stays

  const fh = await open(opts.image, 'r+');
  try {
    const mbr = Buffer.alloc(SECTOR);
    await fh.read(mbr, 0, SECTOR, 0);
    const code = Buffer.from(boot);
    mbr.copy(code, BPB_START, BPB_START, BPB_END);
    code.writeBigUInt64LE(BigInt(first), KERNEL_SECTOR);
    code[BOOT_DRIVE] = 0xff;
    code[DRIVE_CHECK] = 0x90;
    code[DRIVE_CHECK + 1] = 0x90;
    code.copy(mbr, 0, 0, MBR_KEPT_FROM);
    await fh.write(coreOut, 0, coreOut.length, first * SECTOR);
    await fh.write(mbr, 0, SECTOR, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { partition: part.number, firstSector: first, sectors };
}

function pickPartition(
  parts: readonly GptPartition[],
  which: number | string | undefined,
  image: string,
): GptPartition {
  const list = parts.map((p) => `${p.number} ${p.name || '(unnamed)'}`).join(', ') || 'none';
  if (which === undefined) {
    const bios = parts.filter((p) => p.type.toUpperCase() === PartitionType.BIOS_BOOT);
    if (bios.length === 1 && bios[0]) return bios[0];
    throw new InputError({
      code: bios.length === 0 ? 'NO_BIOS_BOOT_PARTITION' : 'SEVERAL_BIOS_BOOT_PARTITIONS',
      message: `${image} has ${bios.length === 0 ? 'no' : bios.length} BIOS boot partitions (its partitions: ${list})`,
      hint:
        bios.length === 0
          ? 'lay the disk out with a BIOS boot partition (Flatcar layouts have BIOS-BOOT)'
          : 'name the partition to use',
    });
  }
  const p = parts.find((q) => (typeof which === 'number' ? q.number === which : q.name === which));
  if (!p) {
    throw new InputError({
      code: 'PARTITION_NOT_FOUND',
      message: `${image} has no partition ${typeof which === 'number' ? `number ${which}` : JSON.stringify(which)}`,
      hint: `its partitions are: ${list}`,
    });
  }
  return p;
}
