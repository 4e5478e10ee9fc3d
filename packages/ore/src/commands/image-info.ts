import type { Logger } from '@mantle/core/log';
import {
  gptToJson,
  formatSfdiskDump,
  type GptTableJson,
  type MbrPartition,
  type UsrLabel,
} from '@mantle/core/disk';
import { inspectImage } from '@mantle/core/image';
import { checkInputPath } from '@mantle/core/fs';

export interface ImageInfoOptions {
  file: string;
  cwd?: string;
  logger?: Logger;
  signal?: AbortSignal;
}

/** The USR A/B part of `ore image info`. */
export interface UsrInfo {
  next: UsrLabel | null;
  active: UsrLabel | null;
  slots: {
    label: UsrLabel;
    partition: number;
    uuid: string;
    priority: number;
    tries: number;
    successful: boolean;
    attributes: string;
  }[];
}

/** What `ore image info` returns (and prints with --json). */
export interface ImageInfo {
  file: string;
  fileSize: number;
  format: string;
  subformat: string | null;
  compression: string;
  evidence: string;
  virtualSize: { bytes: number; source: string } | null;
  partitionTable: 'gpt' | 'mbr' | 'none';
  gpt: GptTableJson | null;
  /** the GPT as `sfdisk -d` prints it */
  sfdisk: string | null;
  mbr: MbrPartition[] | null;
  usr: UsrInfo | null;
  warnings: string[];
}

/** Inspect an image: format, compression, virtual size, partition table, USR A/B state. */
export async function imageInfo(opts: ImageInfoOptions): Promise<ImageInfo> {
  const path = await checkInputPath(opts.file, { cwd: opts.cwd ?? process.cwd(), flag: 'FILE' });
  const info = await inspectImage(path, {
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  // Show the path as the user typed it, as sfdisk -d does.
  const gpt = info.gpt ? { ...info.gpt, file: opts.file } : undefined;
  const warnings = [...info.warnings, ...(gpt?.warnings ?? [])].map((w) => w.split(path).join(opts.file));
  return {
    file: opts.file,
    fileSize: info.fileSize,
    format: info.format,
    subformat: info.subformat ?? null,
    compression: info.compression,
    evidence: info.evidence,
    virtualSize: info.virtualSize ?? null,
    partitionTable: info.partitionTable,
    gpt: gpt ? { ...gptToJson(gpt), warnings: gpt.warnings.map((w) => w.split(path).join(opts.file)) } : null,
    sfdisk: gpt ? formatSfdiskDump(gpt) : null,
    mbr: info.mbr ?? null,
    usr: info.usr
      ? {
          next: info.usr.next ?? null,
          active: info.usr.active ?? null,
          slots: info.usr.slots.map((s) => ({
            label: s.label,
            partition: s.number,
            uuid: s.uuid,
            priority: s.priority,
            tries: s.tries,
            successful: s.successful,
            attributes: '0x' + s.attributes.toString(16).padStart(16, '0'),
          })),
        }
      : null,
    warnings,
  };
}

/** The text form of `ore image info`. */
export function formatImageInfo(info: ImageInfo): string {
  const lines: string[] = [];
  const kind = info.subformat ? `${info.format} (${info.subformat})` : info.format;
  lines.push(`file:          ${info.file}`);
  lines.push(`format:        ${kind}`);
  lines.push(`compression:   ${info.compression}`);
  lines.push(`file size:     ${human(info.fileSize)} (${info.fileSize} bytes)`);
  lines.push(
    `virtual size:  ${info.virtualSize ? `${human(info.virtualSize.bytes)} (${info.virtualSize.bytes} bytes, from ${info.virtualSize.source})` : 'unknown'}`,
  );
  lines.push(
    `partitions:    ${info.partitionTable}${info.gpt?.recovered ? ' (primary GPT corrupt: recovered from the backup)' : ''}`,
  );
  if (info.sfdisk) lines.push('', info.sfdisk.trimEnd());
  if (info.mbr) {
    lines.push('', 'MBR partitions:');
    for (const p of info.mbr)
      lines.push(
        `  ${p.number}: type 0x${p.type.toString(16).padStart(2, '0')} start=${p.startLba} size=${p.sizeLba}${p.bootable ? ' bootable' : ''}`,
      );
  }
  if (info.usr) {
    lines.push('', 'USR A/B:');
    for (const s of info.usr.slots) {
      const marks = [s.label === info.usr.active ? 'active' : '', s.label === info.usr.next ? 'next' : '']
        .filter(Boolean)
        .join(', ');
      lines.push(
        `  ${s.label}  partition ${s.partition}  priority ${s.priority}  tries ${s.tries}  successful ${s.successful ? 'yes' : 'no'}${marks ? `  <- ${marks}` : ''}`,
      );
    }
    lines.push(`  next boot: ${info.usr.next ?? 'none (no USR partition is bootable)'}`);
  }
  if (info.warnings.length > 0) {
    lines.push('', 'warnings:');
    for (const w of info.warnings) lines.push(`  - ${w}`);
  }
  return lines.join('\n') + '\n';
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
