import { InputError, type MantleError } from '../../errors/mantle-error.js';
import { openFileSource, type BlockSource } from '../block-source.js';
import { crc32 } from '../crc32.js';
import { readGuid, ZERO_GUID } from '../guid.js';
import {
  GPT_ENTRY_SIZE,
  GPT_HEADER_SIZE,
  GPT_MAX_ENTRY_ARRAY_BYTES,
  GPT_SIGNATURE,
  SECTOR_SIZES,
  type GptHeader,
  type GptPartition,
  type GptTable,
  type ReadGptOptions,
  type SectorSize,
} from './types.js';

// Reading a GPT in userspace: protective MBR in LBA 0, primary header in LBA 1 followed by the
// entry array, the backup entry array and header at the end of the disk. All reads are positioned
// reads of a few sectors, so a 10 GiB sparse image costs the same as 10 MiB.

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
  if (header.entryCount === 0 || header.entryCount * header.entrySize > GPT_MAX_ENTRY_ARRAY_BYTES) {
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

function decodeName(raw: Buffer): string {
  let end = 0;
  while (end + 1 < raw.length && (raw[end] !== 0 || raw[end + 1] !== 0)) end += 2;
  return raw.toString('utf16le', 0, end);
}

function u64(buf: Buffer, off: number): number {
  const v = buf.readBigUInt64LE(off);
  // LBAs beyond 2^53 would be a 4 EiB disk: treat as corruption rather than lose precision.
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function gptError(code: string, message: string, file: string, hint: string): MantleError {
  return new InputError({ code, message, hint, details: { file } });
}
