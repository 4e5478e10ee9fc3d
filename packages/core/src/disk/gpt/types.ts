// The GUID Partition Table as mantle models it (UEFI 2.x, chapter 5): constants of the on-disk
// format, a table as read, and a table to write. Types and constants only; gpt/read.ts and
// gpt/write.ts hold the codecs.

export const GPT_SIGNATURE = 'EFI PART';
export const GPT_REVISION = 0x00010000;
export const GPT_HEADER_SIZE = 92;
export const GPT_DEFAULT_ENTRY_COUNT = 128;
export const GPT_ENTRY_SIZE = 128;
/** UTF-16 code units a partition name holds */
export const GPT_NAME_MAX = 36;
/** the logical sector sizes the reader probes */
export const SECTOR_SIZES = [512, 4096] as const;
export type SectorSize = (typeof SECTOR_SIZES)[number];

/** The largest entry array read or written: a corrupt header must not make us read gigabytes. */
export const GPT_MAX_ENTRY_ARRAY_BYTES = 4 * 1024 * 1024;

/** One used slot of the partition entry array. */
export interface GptPartition {
  /** 1-based slot number (sda<number>) */
  number: number;
  /** partition type GUID, upper-case */
  type: string;
  /** unique partition GUID, upper-case */
  uuid: string;
  /** partition name (label) */
  name: string;
  startLba: number;
  /** inclusive, as stored */
  endLba: number;
  /** endLba - startLba + 1 */
  sizeLba: number;
  attributes: bigint;
}

/** The fields of one GPT header as stored. */
export interface GptHeader {
  revision: number;
  headerSize: number;
  headerCrc: number;
  currentLba: number;
  backupLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

/** What we found at one header location. */
export interface GptHeaderStatus {
  lba: number;
  ok: boolean;
  /** why this copy is unusable (or missing), when it is */
  problem?: { code: string; message: string };
}

/** A GPT as read from a disk. */
export interface GptTable {
  /** the file (or source name) it was read from */
  file: string;
  sectorSize: SectorSize;
  /** size of the disk in bytes */
  diskSize: number;
  diskGuid: string;
  firstUsableLba: number;
  lastUsableLba: number;
  /** the LBA of the last sector of the disk */
  lastLba: number;
  entryCount: number;
  entrySize: number;
  /** used entries, ordered by number */
  partitions: GptPartition[];
  /** which copy the partitions come from: 'backup' means the primary was corrupt and recovered */
  source: 'primary' | 'backup';
  primary: GptHeaderStatus;
  backup: GptHeaderStatus;
  /** problems that did not stop the read (recovered primary, moved backup, hybrid MBR, ...) */
  warnings: string[];
}

export interface ReadGptOptions {
  /** logical sector size; probed (512, then 4096) when not given */
  sectorSize?: SectorSize;
  /** only read the primary copy (a stream head has no backup); the backup is reported as unchecked */
  primaryOnly?: boolean;
}

/** One partition to write. */
export interface GptPartitionSpec {
  number: number;
  /** type GUID */
  type: string;
  /** unique GUID; random when omitted */
  uuid?: string;
  name?: string;
  startLba: number;
  sizeLba: number;
  attributes?: bigint;
}

/** A whole table to write. */
export interface GptSpec {
  sectorSize?: SectorSize;
  /** random when omitted */
  diskGuid?: string;
  /** entry array slots; default 128 */
  entryCount?: number;
  /** default: right after the primary entry array (LBA 34 for 512-byte sectors) */
  firstUsableLba?: number;
  partitions: readonly GptPartitionSpec[];
}

/** The byte images of a GPT ready to be written, with their byte offsets; pure. */
export interface EncodedGpt {
  /** 512-byte protective MBR partition table part (bytes 446..511 of LBA 0) */
  mbrTable: Buffer;
  primaryHeader: Buffer;
  backupHeader: Buffer;
  entries: Buffer;
  offsets: { primaryHeader: number; primaryEntries: number; backupEntries: number; backupHeader: number };
  header: GptHeader;
  partitions: GptPartition[];
}
