import { InputError, MantleError } from '../errors/mantle-error.js';
import { openFileSource, openForWrite, type BlockSource } from './block-source.js';
import { crc32 } from './crc32.js';
import { isGuid, normalizeGuid, randomGuid, readGuid, writeGuid, ZERO_GUID } from './guid.js';

// GUID Partition Table in userspace (UEFI 2.x, chapter 5): protective MBR in LBA 0, primary header
// in LBA 1 followed by the entry array, the backup entry array and header at the end of the disk.
// All reads are positioned reads of a few sectors, so a 10 GiB sparse image costs the same as 10 MiB.

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

// Guard against a corrupt header asking us to read gigabytes of "entries".
const MAX_ENTRY_ARRAY_BYTES = 4 * 1024 * 1024;

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

/** Read the GPT of an image file (or any BlockSource); corrupt or truncated tables are InputErrors. */
export async function readGpt(file: string | BlockSource, opts: ReadGptOptions = {}): Promise<GptTable> {
  const src = typeof file === 'string' ? await openFileSource(file) : file;
  try {
    return await readGptFrom(await withHeadCache(src), opts);
  } finally {
    if (typeof file === 'string') await src.close();
  }
}

// The MBR, the primary header and its entry array all lie in the first 24 KiB (for 4Kn disks):
// one read serves them all.
const HEAD_CACHE_BYTES = 32 * 1024;

async function withHeadCache(src: BlockSource): Promise<BlockSource> {
  const head = await src.read(0, Math.min(HEAD_CACHE_BYTES, src.size));
  return {
    name: src.name,
    size: src.size,
    read: (position, length) =>
      position + length <= head.length
        ? Promise.resolve(Buffer.from(head.subarray(position, position + length)))
        : src.read(position, length),
    close: () => src.close(),
  };
}

type Attempt =
  { ok: true; header: GptHeader; entries: Buffer } | { ok: false; code: string; message: string };

async function readGptFrom(src: BlockSource, opts: ReadGptOptions): Promise<GptTable> {
  const name = src.name;
  if (src.size < 1024) {
    throw gptError(
      'GPT_TRUNCATED',
      `${name} is ${src.size} bytes: too small to hold a GPT`,
      name,
      'the file is truncated or not a disk image',
    );
  }
  const sizes: readonly SectorSize[] = opts.sectorSize ? [opts.sectorSize] : SECTOR_SIZES;
  const primaryFailures: { ss: SectorSize; attempt: Attempt & { ok: false } }[] = [];

  for (const ss of sizes) {
    if (src.size < ss * 2) continue;
    const primary = await readCopy(src, ss, 1, 'primary');
    if (!primary.ok) {
      primaryFailures.push({ ss, attempt: primary });
      continue;
    }
    return finishFromPrimary(src, ss, primary, opts);
  }

  // No valid primary at any sector size: try the backup in the last sector.
  const primaryProblem = pickProblem(primaryFailures.map((f) => f.attempt));
  if (!opts.primaryOnly) {
    const backupFailures: Attempt[] = [];
    for (const ss of sizes) {
      if (src.size < ss * 2) continue;
      const lastLba = Math.floor(src.size / ss) - 1;
      const backup = await readCopy(src, ss, lastLba, 'backup');
      if (!backup.ok) {
        backupFailures.push(backup);
        continue;
      }
      const failure = primaryFailures.find((f) => f.ss === ss)?.attempt ?? primaryProblem;
      const table = buildTable(src, ss, backup.header, backup.entries, 'backup');
      table.primary = { lba: 1, ok: false, problem: { code: failure.code, message: failure.message } };
      table.backup = { lba: lastLba, ok: true };
      table.warnings.unshift(
        `primary GPT of ${name} is corrupt (${failure.code}: ${failure.message}); recovered from the backup at LBA ${lastLba}`,
      );
      await checkMbr(src, table);
      return table;
    }
    // Report the primary's problem unless the backup's is more telling (a truncated file loses the backup).
    const backupProblem = pickProblem(backupFailures);
    const both =
      primaryProblem.code === 'GPT_BAD_SIGNATURE' && backupProblem.code !== 'GPT_BAD_SIGNATURE'
        ? backupProblem
        : primaryProblem;
    throw gptError(
      both.code,
      `${name}: no valid GPT: primary: ${primaryProblem.message}; backup: ${backupProblem.message}`,
      name,
      both.code === 'GPT_BAD_SIGNATURE'
        ? 'the file has no GPT partition table; is it a raw disk image (not qcow2/vmdk/compressed)?'
        : 'both copies of the partition table are damaged; restore the image from its source',
    );
  }
  throw gptError(
    primaryProblem.code,
    `${name}: ${primaryProblem.message}`,
    name,
    'the primary GPT is damaged and the backup cannot be read here (compressed stream?)',
  );
}

async function finishFromPrimary(
  src: BlockSource,
  ss: SectorSize,
  primary: Attempt & { ok: true },
  opts: ReadGptOptions,
): Promise<GptTable> {
  const name = src.name;
  const h = primary.header;
  const diskLastLba = Math.floor(src.size / ss) - 1;
  const table = buildTable(src, ss, h, primary.entries, 'primary');
  table.primary = { lba: 1, ok: true };
  if (opts.primaryOnly) {
    table.backup = {
      lba: h.backupLba,
      ok: false,
      problem: { code: 'GPT_BACKUP_UNCHECKED', message: 'backup not read' },
    };
    return table;
  }
  if (h.backupLba > diskLastLba || h.lastUsableLba > diskLastLba) {
    throw gptError(
      'GPT_TRUNCATED',
      `${name} is truncated: its GPT says the disk has ${h.backupLba + 1} sectors of ${ss} bytes (${(h.backupLba + 1) * ss} bytes) but the file has ${src.size} bytes`,
      name,
      'the image was cut short (interrupted download or copy?); fetch it again',
    );
  }
  const backup = await readCopy(src, ss, h.backupLba, 'backup');
  if (!backup.ok) {
    table.backup = { lba: h.backupLba, ok: false, problem: { code: backup.code, message: backup.message } };
    table.warnings.push(
      `backup GPT of ${name} at LBA ${h.backupLba} is unusable (${backup.code}: ${backup.message}); the primary is intact`,
    );
  } else {
    table.backup = { lba: h.backupLba, ok: true };
    if (backup.header.entriesCrc !== h.entriesCrc) {
      table.warnings.push(
        `backup GPT of ${name} differs from the primary (entry arrays have different CRCs)`,
      );
    }
  }
  if (h.backupLba !== diskLastLba) {
    table.warnings.push(
      `backup GPT header of ${name} is at LBA ${h.backupLba}, not at the last sector ${diskLastLba} (was the image resized?)`,
    );
  }
  await checkMbr(src, table);
  return table;
}

function pickProblem(failures: readonly Attempt[]): { code: string; message: string } {
  const bad = failures.filter((f): f is Attempt & { ok: false } => !f.ok);
  // A copy whose signature matched says more (bad CRC, truncated) than "no signature here".
  const specific = bad.find((f) => f.code !== 'GPT_BAD_SIGNATURE');
  const f = specific ?? bad[0];
  return f
    ? { code: f.code, message: f.message }
    : { code: 'GPT_TRUNCATED', message: 'the file is too small to hold a GPT' };
}

async function readCopy(
  src: BlockSource,
  ss: SectorSize,
  lba: number,
  which: 'primary' | 'backup',
): Promise<Attempt> {
  const sector = await src.read(lba * ss, ss);
  if (sector.length < ss)
    return {
      ok: false,
      code: 'GPT_TRUNCATED',
      message: `${which} header at LBA ${lba} lies beyond the end of the file`,
    };
  const parsed = decodeGptHeader(sector, lba);
  if (!parsed.ok)
    return { ok: false, code: parsed.code, message: `${which} header at LBA ${lba}: ${parsed.message}` };
  const h = parsed.header;
  const arrayBytes = h.entryCount * h.entrySize;
  const entries = await src.read(h.entriesLba * ss, arrayBytes);
  if (entries.length < arrayBytes) {
    return {
      ok: false,
      code: 'GPT_TRUNCATED',
      message: `${which} partition entry array at LBA ${h.entriesLba} runs past the end of the file`,
    };
  }
  const crc = crc32(entries);
  if (crc !== h.entriesCrc) {
    return {
      ok: false,
      code: 'GPT_BAD_CRC',
      message: `${which} partition entry array CRC32 is ${hex32(crc)}, header says ${hex32(h.entriesCrc)}`,
    };
  }
  return { ok: true, header: h, entries };
}

/** Parse and check one header sector (signature, size, header CRC, own LBA); pure. */
export function decodeGptHeader(
  sector: Uint8Array,
  expectedLba: number,
): { ok: true; header: GptHeader } | { ok: false; code: string; message: string } {
  const buf = Buffer.from(sector.buffer, sector.byteOffset, sector.byteLength);
  if (buf.toString('latin1', 0, 8) !== GPT_SIGNATURE) {
    return { ok: false, code: 'GPT_BAD_SIGNATURE', message: `no "EFI PART" signature` };
  }
  const headerSize = buf.readUInt32LE(12);
  if (headerSize < GPT_HEADER_SIZE || headerSize > buf.length) {
    return {
      ok: false,
      code: 'GPT_BAD_HEADER',
      message: `header size ${headerSize} is outside ${GPT_HEADER_SIZE}..${buf.length}`,
    };
  }
  const stored = buf.readUInt32LE(16);
  const copy = Buffer.from(buf.subarray(0, headerSize));
  copy.writeUInt32LE(0, 16);
  const actual = crc32(copy);
  if (actual !== stored) {
    return {
      ok: false,
      code: 'GPT_BAD_CRC',
      message: `header CRC32 is ${hex32(actual)}, stored ${hex32(stored)}`,
    };
  }
  const header: GptHeader = {
    revision: buf.readUInt32LE(8),
    headerSize,
    headerCrc: stored,
    currentLba: u64(buf, 24),
    backupLba: u64(buf, 32),
    firstUsableLba: u64(buf, 40),
    lastUsableLba: u64(buf, 48),
    diskGuid: readGuid(buf, 56),
    entriesLba: u64(buf, 72),
    entryCount: buf.readUInt32LE(80),
    entrySize: buf.readUInt32LE(84),
    entriesCrc: buf.readUInt32LE(88),
  };
  if (header.currentLba !== expectedLba) {
    return {
      ok: false,
      code: 'GPT_BAD_HEADER',
      message: `header says it is at LBA ${header.currentLba}, found at LBA ${expectedLba}`,
    };
  }
  if (header.entrySize < GPT_ENTRY_SIZE || header.entrySize % 8 !== 0) {
    return {
      ok: false,
      code: 'GPT_BAD_HEADER',
      message: `partition entry size ${header.entrySize} is invalid (at least 128, a multiple of 8)`,
    };
  }
  if (header.entryCount === 0 || header.entryCount * header.entrySize > MAX_ENTRY_ARRAY_BYTES) {
    return {
      ok: false,
      code: 'GPT_BAD_HEADER',
      message: `partition entry count ${header.entryCount} is invalid`,
    };
  }
  if (header.firstUsableLba > header.lastUsableLba + 1) {
    return {
      ok: false,
      code: 'GPT_BAD_HEADER',
      message: `first usable LBA ${header.firstUsableLba} is after last usable LBA ${header.lastUsableLba}`,
    };
  }
  return { ok: true, header };
}

/** Decode the used entries of an entry array; pure. */
export function decodeGptEntries(entries: Uint8Array, entryCount: number, entrySize: number): GptPartition[] {
  const buf = Buffer.from(entries.buffer, entries.byteOffset, entries.byteLength);
  const parts: GptPartition[] = [];
  for (let i = 0; i < entryCount; i++) {
    const off = i * entrySize;
    const type = readGuid(buf, off);
    if (type === ZERO_GUID) continue;
    const startLba = u64(buf, off + 32);
    const endLba = u64(buf, off + 40);
    parts.push({
      number: i + 1,
      type,
      uuid: readGuid(buf, off + 16),
      name: decodeName(buf.subarray(off + 56, off + 128)),
      startLba,
      endLba,
      sizeLba: endLba - startLba + 1,
      attributes: buf.readBigUInt64LE(off + 48),
    });
  }
  return parts;
}

function buildTable(
  src: BlockSource,
  ss: SectorSize,
  h: GptHeader,
  entries: Buffer,
  source: 'primary' | 'backup',
): GptTable {
  const partitions = decodeGptEntries(entries, h.entryCount, h.entrySize);
  const lastLba = Math.floor(src.size / ss) - 1;
  const table: GptTable = {
    file: src.name,
    sectorSize: ss,
    diskSize: src.size,
    diskGuid: h.diskGuid,
    firstUsableLba: h.firstUsableLba,
    lastUsableLba: h.lastUsableLba,
    lastLba,
    entryCount: h.entryCount,
    entrySize: h.entrySize,
    partitions,
    source,
    primary: { lba: 1, ok: source === 'primary' },
    backup: { lba: source === 'backup' ? h.currentLba : h.backupLba, ok: source === 'backup' },
    warnings: [],
  };
  for (const p of partitions) {
    if (p.endLba < p.startLba)
      table.warnings.push(
        `partition ${p.number} of ${src.name} ends (LBA ${p.endLba}) before it starts (LBA ${p.startLba})`,
      );
    else if (p.startLba < h.firstUsableLba || p.endLba > h.lastUsableLba) {
      table.warnings.push(
        `partition ${p.number} of ${src.name} (LBA ${p.startLba}-${p.endLba}) lies outside the usable area ${h.firstUsableLba}-${h.lastUsableLba}`,
      );
    }
  }
  return table;
}

async function checkMbr(src: BlockSource, table: GptTable): Promise<void> {
  const mbr = await src.read(0, 512);
  if (mbr.length < 512 || mbr[510] !== 0x55 || mbr[511] !== 0xaa) {
    table.warnings.push(`${src.name} has no protective MBR in LBA 0 (boot signature 55AA missing)`);
    return;
  }
  const types = [0, 1, 2, 3].map((i) => mbr[446 + i * 16 + 4]);
  if (!types.includes(0xee)) table.warnings.push(`the MBR of ${src.name} has no protective (type EE) entry`);
  else if (types.filter((t) => t !== 0).length > 1) table.warnings.push(`${src.name} has a hybrid MBR`);
}

// ---------------------------------------------------------------------------------------------
// Writing

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

/**
 * Lay out a GPT for a disk of `diskSize` bytes. Validates every partition first: an InputError
 * (GPT_INVALID_PARTITION) names the partition number and field, and nothing is produced.
 */
export function encodeGpt(spec: GptSpec, diskSize: number, what = 'disk'): EncodedGpt {
  const ss = spec.sectorSize ?? 512;
  const entryCount = spec.entryCount ?? GPT_DEFAULT_ENTRY_COUNT;
  if (
    !Number.isInteger(entryCount) ||
    entryCount < 1 ||
    entryCount * GPT_ENTRY_SIZE > MAX_ENTRY_ARRAY_BYTES
  ) {
    throw invalid(what, `entry count ${entryCount} is invalid`);
  }
  const entrySectors = Math.ceil((entryCount * GPT_ENTRY_SIZE) / ss);
  const sectors = Math.floor(diskSize / ss);
  const lastLba = sectors - 1;
  const firstUsableLba = spec.firstUsableLba ?? 2 + entrySectors;
  const lastUsableLba = lastLba - 1 - entrySectors;
  if (firstUsableLba < 2 + entrySectors || lastUsableLba < firstUsableLba) {
    throw new InputError({
      code: 'GPT_DISK_TOO_SMALL',
      message: `${what} is ${diskSize} bytes: too small for a GPT with ${entryCount} entries of ${ss}-byte sectors`,
      hint: 'make the image larger',
      details: { file: what, diskSize },
    });
  }
  const diskGuid = spec.diskGuid ? checkGuid(spec.diskGuid, what, 'disk', 'diskGuid') : randomGuid();

  const parts: GptPartition[] = [];
  const seen = new Set<number>();
  for (const p of spec.partitions) {
    const where = `partition ${p.number}`;
    if (!Number.isInteger(p.number) || p.number < 1 || p.number > entryCount) {
      throw invalid(what, `${where}: number must be 1..${entryCount}`, p.number, 'number');
    }
    if (seen.has(p.number)) throw invalid(what, `${where} is given twice`, p.number, 'number');
    seen.add(p.number);
    const type = checkGuid(p.type, what, where, 'type');
    if (type === ZERO_GUID)
      throw invalid(
        what,
        `${where}: type must not be the zero GUID (that marks an unused slot)`,
        p.number,
        'type',
      );
    const uuid = p.uuid ? checkGuid(p.uuid, what, where, 'uuid') : randomGuid();
    const twin = parts.find((q) => q.uuid === uuid);
    if (twin)
      throw invalid(
        what,
        `${where}: uuid ${uuid} is already used by partition ${twin.number}`,
        p.number,
        'uuid',
      );
    const name = p.name ?? '';
    if (encodeName(name).length > GPT_NAME_MAX * 2) {
      throw invalid(
        what,
        `${where}: name ${JSON.stringify(name)} is longer than ${GPT_NAME_MAX} UTF-16 characters`,
        p.number,
        'name',
      );
    }
    if (!Number.isSafeInteger(p.startLba) || p.startLba < 0)
      throw invalid(what, `${where}: start ${p.startLba} is not a sector number`, p.number, 'start');
    if (!Number.isSafeInteger(p.sizeLba) || p.sizeLba < 1)
      throw invalid(
        what,
        `${where}: size ${p.sizeLba} must be a positive number of sectors`,
        p.number,
        'size',
      );
    const endLba = p.startLba + p.sizeLba - 1;
    if (p.startLba < firstUsableLba || endLba > lastUsableLba) {
      throw new InputError({
        code: 'GPT_PARTITION_OUTSIDE_DISK',
        message: `${what}: ${where} (sectors ${p.startLba}-${endLba}) does not fit in the usable area ${firstUsableLba}-${lastUsableLba} of a ${diskSize}-byte disk`,
        hint: 'make the disk larger or the partition smaller',
        details: { file: what, partition: p.number, field: 'start' },
      });
    }
    const attributes = p.attributes ?? 0n;
    if (attributes < 0n || attributes > 0xffff_ffff_ffff_ffffn)
      throw invalid(what, `${where}: attributes do not fit in 64 bits`, p.number, 'attributes');
    parts.push({
      number: p.number,
      type,
      uuid,
      name,
      startLba: p.startLba,
      endLba,
      sizeLba: p.sizeLba,
      attributes,
    });
  }
  const sorted = [...parts].sort((a, b) => a.startLba - b.startLba);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.startLba <= a.endLba) {
      throw new InputError({
        code: 'GPT_OVERLAP',
        message: `${what}: partition ${b.number} (sectors ${b.startLba}-${b.endLba}) overlaps partition ${a.number} (sectors ${a.startLba}-${a.endLba})`,
        hint: 'move or shrink one of them',
        details: { file: what, partition: b.number, field: 'start', other: a.number },
      });
    }
  }

  const entries = Buffer.alloc(entrySectors * ss);
  for (const p of parts) {
    const off = (p.number - 1) * GPT_ENTRY_SIZE;
    writeGuid(entries, off, p.type);
    writeGuid(entries, off + 16, p.uuid);
    writeU64(entries, off + 32, p.startLba);
    writeU64(entries, off + 40, p.endLba);
    entries.writeBigUInt64LE(p.attributes, off + 48);
    encodeName(p.name).copy(entries, off + 56);
  }
  const entriesCrc = crc32(entries.subarray(0, entryCount * GPT_ENTRY_SIZE));
  const base: Omit<GptHeader, 'currentLba' | 'backupLba' | 'entriesLba' | 'headerCrc'> = {
    revision: GPT_REVISION,
    headerSize: GPT_HEADER_SIZE,
    firstUsableLba,
    lastUsableLba,
    diskGuid,
    entryCount,
    entrySize: GPT_ENTRY_SIZE,
    entriesCrc,
  };
  const primary: GptHeader = { ...base, currentLba: 1, backupLba: lastLba, entriesLba: 2, headerCrc: 0 };
  const backupEntriesLba = lastLba - entrySectors;
  const backup: GptHeader = {
    ...base,
    currentLba: lastLba,
    backupLba: 1,
    entriesLba: backupEntriesLba,
    headerCrc: 0,
  };
  const primaryHeader = encodeHeader(primary, ss);
  const backupHeader = encodeHeader(backup, ss);
  primary.headerCrc = primaryHeader.readUInt32LE(16);

  // Protective MBR: one type-EE entry from LBA 1 over the whole disk (capped at 2^32-1 sectors).
  const mbrTable = Buffer.alloc(66);
  mbrTable[0] = 0x00; // not bootable
  mbrTable.writeUIntLE(0x000200, 1, 3); // CHS of LBA 1 (head 0, sector 2, cylinder 0)
  mbrTable[4] = 0xee;
  mbrTable.writeUIntLE(0xffffff, 5, 3); // CHS end: "beyond CHS"
  mbrTable.writeUInt32LE(1, 8);
  mbrTable.writeUInt32LE(Math.min(sectors - 1, 0xffffffff), 12);
  mbrTable[64] = 0x55;
  mbrTable[65] = 0xaa;

  return {
    mbrTable,
    primaryHeader,
    backupHeader,
    entries,
    offsets: {
      primaryHeader: ss,
      primaryEntries: 2 * ss,
      backupEntries: backupEntriesLba * ss,
      backupHeader: lastLba * ss,
    },
    header: primary,
    partitions: parts.sort((a, b) => a.number - b.number),
  };
}

function encodeHeader(h: GptHeader, ss: number): Buffer {
  const buf = Buffer.alloc(ss);
  buf.write(GPT_SIGNATURE, 0, 'latin1');
  buf.writeUInt32LE(h.revision, 8);
  buf.writeUInt32LE(h.headerSize, 12);
  writeU64(buf, 24, h.currentLba);
  writeU64(buf, 32, h.backupLba);
  writeU64(buf, 40, h.firstUsableLba);
  writeU64(buf, 48, h.lastUsableLba);
  writeGuid(buf, 56, h.diskGuid);
  writeU64(buf, 72, h.entriesLba);
  buf.writeUInt32LE(h.entryCount, 80);
  buf.writeUInt32LE(h.entrySize, 84);
  buf.writeUInt32LE(h.entriesCrc, 88);
  buf.writeUInt32LE(crc32(buf.subarray(0, h.headerSize)), 16);
  return buf;
}

/**
 * Write a complete GPT (protective MBR, primary and backup) onto an existing image file, keeping
 * the MBR boot code. The disk size is the file size. Everything is validated before the first byte
 * is written; returns the table as a reader would see it.
 */
export async function writeGpt(file: string, spec: GptSpec): Promise<GptTable> {
  const fh = await openForWrite(file);
  try {
    const st = await fh.stat();
    const ss = spec.sectorSize ?? 512;
    const enc = encodeGpt(spec, st.size, file);
    const lba0 = Buffer.alloc(ss);
    await fh.read(lba0, 0, ss, 0);
    enc.mbrTable.copy(lba0, 446);
    await fh.write(lba0, 0, ss, 0);
    await fh.write(enc.primaryHeader, 0, enc.primaryHeader.length, enc.offsets.primaryHeader);
    await fh.write(enc.entries, 0, enc.entries.length, enc.offsets.primaryEntries);
    await fh.write(enc.entries, 0, enc.entries.length, enc.offsets.backupEntries);
    await fh.write(enc.backupHeader, 0, enc.backupHeader.length, enc.offsets.backupHeader);
    await fh.sync();
    const lastLba = Math.floor(st.size / ss) - 1;
    return {
      file,
      sectorSize: ss,
      diskSize: st.size,
      diskGuid: enc.header.diskGuid,
      firstUsableLba: enc.header.firstUsableLba,
      lastUsableLba: enc.header.lastUsableLba,
      lastLba,
      entryCount: enc.header.entryCount,
      entrySize: enc.header.entrySize,
      partitions: enc.partitions,
      source: 'primary',
      primary: { lba: 1, ok: true },
      backup: { lba: lastLba, ok: true },
      warnings: [],
    };
  } finally {
    await fh.close();
  }
}

/** A table's partitions as write specs (to modify and write back). */
export function toGptSpec(table: GptTable): GptSpec {
  return {
    sectorSize: table.sectorSize,
    diskGuid: table.diskGuid,
    entryCount: table.entryCount,
    firstUsableLba: table.firstUsableLba,
    partitions: table.partitions.map((p) => ({
      number: p.number,
      type: p.type,
      uuid: p.uuid,
      name: p.name,
      startLba: p.startLba,
      sizeLba: p.sizeLba,
      attributes: p.attributes,
    })),
  };
}

/** Find a partition by number or by name (label); undefined when absent. */
export function findPartition(
  table: Pick<GptTable, 'partitions'>,
  which: number | string,
): GptPartition | undefined {
  if (typeof which === 'number') return table.partitions.find((p) => p.number === which);
  return (
    table.partitions.find((p) => p.name === which) ??
    (/^[0-9]+$/.test(which) ? table.partitions.find((p) => p.number === Number(which)) : undefined)
  );
}

/** Byte offset and length of a partition. */
export function partitionBytes(
  table: Pick<GptTable, 'sectorSize'>,
  p: Pick<GptPartition, 'startLba' | 'sizeLba'>,
): { offset: number; size: number } {
  return { offset: p.startLba * table.sectorSize, size: p.sizeLba * table.sectorSize };
}

// ---------------------------------------------------------------------------------------------

function decodeName(raw: Buffer): string {
  let end = 0;
  while (end + 1 < raw.length && (raw[end] !== 0 || raw[end + 1] !== 0)) end += 2;
  return raw.toString('utf16le', 0, end);
}

function encodeName(name: string): Buffer {
  return Buffer.from(name, 'utf16le');
}

function u64(buf: Buffer, off: number): number {
  const v = buf.readBigUInt64LE(off);
  // LBAs beyond 2^53 would be a 4 EiB disk: treat as corruption rather than lose precision.
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function writeU64(buf: Buffer, off: number, v: number): void {
  buf.writeBigUInt64LE(BigInt(v), off);
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function checkGuid(s: string, what: string, where: string, field: string): string {
  if (!isGuid(s)) {
    throw new InputError({
      code: 'GPT_INVALID_PARTITION',
      message: `${what}: ${where}: ${field} ${JSON.stringify(s)} is not a GUID`,
      hint: 'use the 8-4-4-4-12 hex form, e.g. 0FC63DAF-8483-4772-8E79-3D69D8477DE4',
      details: { file: what, field },
    });
  }
  return normalizeGuid(s);
}

function invalid(what: string, message: string, partition?: number, field?: string): InputError {
  return new InputError({
    code: 'GPT_INVALID_PARTITION',
    message: `${what}: ${message}`,
    hint: 'fix the partition table description',
    details: { file: what, ...(partition !== undefined ? { partition } : {}), ...(field ? { field } : {}) },
  });
}

function gptError(code: string, message: string, file: string, hint: string): MantleError {
  return new InputError({ code, message, hint, details: { file } });
}
