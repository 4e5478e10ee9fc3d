import { attrsHex, formatAttrs } from './gpt-attributes.js';
import { partitionTypeName } from './partition-types.js';
import type { GptTable } from './gpt/index.js';

export interface SfdiskDumpOptions {
  /** the device name printed and used for partition nodes; default: the table's file */
  device?: string;
}

/** The partition node name sfdisk uses: `disk.img1`, but `nvme0n1p1` when the name ends in a digit. */
export function partitionNode(device: string, n: number): string {
  return /[0-9]$/.test(device) ? `${device}p${n}` : `${device}${n}`;
}

/** The table in `sfdisk -d` format (what `sfdisk -d FILE` prints for the same file). */
export function formatSfdiskDump(table: GptTable, opts: SfdiskDumpOptions = {}): string {
  const device = opts.device ?? table.file;
  const lines = [
    'label: gpt',
    `label-id: ${table.diskGuid}`,
    `device: ${device}`,
    'unit: sectors',
    `first-lba: ${table.firstUsableLba}`,
    `last-lba: ${table.lastUsableLba}`,
  ];
  if (table.entryCount !== 128) lines.push(`table-length: ${table.entryCount}`);
  lines.push(`sector-size: ${table.sectorSize}`, '');
  for (const p of table.partitions) {
    let line = `${partitionNode(device, p.number)} : start=${String(p.startLba).padStart(12)}, size=${String(p.sizeLba).padStart(12)}, type=${p.type}, uuid=${p.uuid}`;
    if (p.name !== '') line += `, name="${escapeName(p.name)}"`;
    const attrs = formatAttrs(p.attributes);
    if (attrs !== '') line += `, attrs="${attrs}"`;
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}

// sfdisk escapes quotes, backslashes and control characters in names as \xNN.
function escapeName(name: string): string {
  let out = '';
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f || ch === '"' || ch === '\\' ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

/** A partition as JSON-safe data (attributes as hex and sfdisk text, since JSON has no bigint). */
export interface GptPartitionJson {
  number: number;
  node: string;
  name: string;
  type: string;
  typeName?: string;
  uuid: string;
  start: number;
  size: number;
  end: number;
  attrs: string;
  attributes: string;
}

/** A table as JSON-safe data, with the field names sfdisk --json uses where they overlap. */
export interface GptTableJson {
  label: 'gpt';
  id: string;
  device: string;
  unit: 'sectors';
  firstlba: number;
  lastlba: number;
  sectorsize: number;
  tableLength: number;
  source: 'primary' | 'backup';
  recovered: boolean;
  primary: GptTable['primary'];
  backup: GptTable['backup'];
  warnings: string[];
  partitions: GptPartitionJson[];
}

/** The table as JSON-safe data. */
export function gptToJson(table: GptTable, opts: SfdiskDumpOptions = {}): GptTableJson {
  const device = opts.device ?? table.file;
  return {
    label: 'gpt',
    id: table.diskGuid,
    device,
    unit: 'sectors',
    firstlba: table.firstUsableLba,
    lastlba: table.lastUsableLba,
    sectorsize: table.sectorSize,
    tableLength: table.entryCount,
    source: table.source,
    recovered: table.source === 'backup',
    primary: table.primary,
    backup: table.backup,
    warnings: table.warnings,
    partitions: table.partitions.map((p) => {
      const typeName = partitionTypeName(p.type);
      return {
        number: p.number,
        node: partitionNode(device, p.number),
        name: p.name,
        type: p.type,
        ...(typeName ? { typeName } : {}),
        uuid: p.uuid,
        start: p.startLba,
        size: p.sizeLba,
        end: p.endLba,
        attrs: formatAttrs(p.attributes),
        attributes: attrsHex(p.attributes),
      };
    }),
  };
}
