import { InputError } from '../../errors/mantle-error.js';
import { openForWrite } from '../block-source.js';
import { crc32 } from '../crc32.js';
import { isGuid, normalizeGuid, randomGuid, writeGuid, ZERO_GUID } from '../guid.js';
import {
  GPT_DEFAULT_ENTRY_COUNT,
  GPT_ENTRY_SIZE,
  GPT_HEADER_SIZE,
  GPT_MAX_ENTRY_ARRAY_BYTES,
  GPT_NAME_MAX,
  GPT_REVISION,
  GPT_SIGNATURE,
  type EncodedGpt,
  type GptHeader,
  type GptPartition,
  type GptSpec,
  type GptTable,
} from './types.js';

// Writing a GPT: the whole table (protective MBR entry, primary and backup headers and entry
// arrays) is encoded and validated in memory before the first byte goes to the file.

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
    entryCount * GPT_ENTRY_SIZE > GPT_MAX_ENTRY_ARRAY_BYTES
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

function encodeName(name: string): Buffer {
  return Buffer.from(name, 'utf16le');
}

function writeU64(buf: Buffer, off: number, v: number): void {
  buf.writeBigUInt64LE(BigInt(v), off);
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
