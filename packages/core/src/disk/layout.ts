import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../errors/mantle-error.js';
import { setAttrBit, ATTR_BITS } from './gpt-attributes.js';
import { GPT_DEFAULT_ENTRY_COUNT, GPT_ENTRY_SIZE, type GptSpec } from './gpt/index.js';
import {
  checkLayoutMetadata,
  checkLayoutPartition,
  type LayoutFsType,
  type LayoutMetadata,
} from './layout-schema.js';
import { encodeUsrAttrs } from './usr-ab.js';
import { FLATCAR_LAYOUT_CONFIG } from './flatcar-layout.js';
import { errorMessage } from '../errors/message.js';

// Disk layouts in the format of Flatcar's build_library/disk_layout.json: a `metadata` block
// (alignment, sector and fs block sizes) and named `layouts` of numbered partitions; every layout
// other than `base` inherits base's partitions field by field. We place partitions the way
// Flatcar's disk_util does: after the primary GPT, each start aligned to part_alignment, in
// partition-number order; the disk ends after the backup GPT, rounded up to disk_alignment.

export { LAYOUT_FS_TYPES, type LayoutFsType, type LayoutMetadata } from './layout-schema.js';

/** Features with a GPT meaning; others (verity, ...) are kept for the tools that build the content. */
export const LAYOUT_FEATURES = ['prioritize', 'hybrid', 'verity'] as const;

/** One (non-blank) partition of a resolved layout. */
export interface LayoutPartition {
  number: number;
  label: string;
  /** partition type GUID */
  type: string;
  /** the alias the layout used, when it used one */
  typeAlias?: string;
  /** fixed unique GUID; random at write time when absent */
  uuid?: string;
  /** size in sectors */
  blocks: number;
  /** explicit first sector (mantle extension `first_block`); otherwise placed after the previous partition */
  firstBlock?: number;
  partAlignment: number;
  fsType?: LayoutFsType;
  fsLabel?: string;
  fsBlocks?: number;
  fsBlockSize: number;
  mount?: string;
  features: string[];
  /** GPT attributes from `attrs` and the features hybrid/prioritize */
  attributes: bigint;
}

/** A layout ready to place on a disk. */
export interface DiskLayout {
  name: string;
  /** where it came from (file path or `builtin`) */
  source: string;
  metadata: LayoutMetadata;
  /** non-blank partitions by number */
  partitions: LayoutPartition[];
  /** numbers of slots the layout leaves blank */
  blank: number[];
}

/** A partition with its place on the disk. */
export interface PlacedPartition extends LayoutPartition {
  startLba: number;
  sizeLba: number;
}

export interface PlacedLayout {
  layout: DiskLayout;
  partitions: PlacedPartition[];
  /** smallest disk (bytes) that holds the layout and the backup GPT */
  minBytes: number;
  /** the disk size Flatcar would make: minBytes rounded up to disk_alignment */
  alignedBytes: number;
}

/** The names of the layouts that ship with mantle (`flatcar` is Flatcar's `base`). */
export const BUILTIN_LAYOUTS = ['flatcar', 'base', 'vm'] as const;

/** A built-in layout: `flatcar`/`base` (Flatcar's base image) or `vm` (its larger ROOT for VMs). */
export function builtinLayout(name: string): DiskLayout {
  const layoutName = name === 'flatcar' ? 'base' : name;
  return parseLayoutConfig(FLATCAR_LAYOUT_CONFIG, { name: layoutName, source: 'builtin' });
}

export interface LoadLayoutOptions {
  /** which layout of a file to use; default `base` (or the file's only layout) */
  name?: string;
  cwd?: string;
}

/** A built-in layout by name, or a layout from a disk_layout.json-style file. */
export async function loadLayout(nameOrFile: string, opts: LoadLayoutOptions = {}): Promise<DiskLayout> {
  if ((BUILTIN_LAYOUTS as readonly string[]).includes(nameOrFile) && !opts.name)
    return builtinLayout(nameOrFile);
  const path = resolve(opts.cwd ?? process.cwd(), nameOrFile);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError({
      code: code === 'ENOENT' ? 'LAYOUT_NOT_FOUND' : 'LAYOUT_UNREADABLE',
      message:
        code === 'ENOENT'
          ? `layout ${nameOrFile}: no such file (built-in layouts: ${BUILTIN_LAYOUTS.join(', ')})`
          : `layout ${nameOrFile}: ${errorMessage(err)}`,
      hint: `pass one of ${BUILTIN_LAYOUTS.join(', ')} or the path of a disk_layout.json file`,
      cause: err,
      details: { file: nameOrFile },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError({
      code: 'LAYOUT_INVALID',
      message: `layout ${path} is not valid JSON: ${errorMessage(err)}`,
      hint: 'fix the JSON syntax',
      cause: err,
      details: { file: path },
    });
  }
  return parseLayoutConfig(json, { ...(opts.name ? { name: opts.name } : {}), source: path });
}

/**
 * Validate a disk_layout.json-style object and resolve one layout (merged over `base`). Also accepts
 * `{metadata?, partitions: {...}}` for a single layout. Every problem is an InputError that names
 * the layout, the partition number and the field.
 */
export function parseLayoutConfig(
  config: unknown,
  opts: { name?: string; source?: string } = {},
): DiskLayout {
  const source = opts.source ?? 'layout';
  const fail = (message: string, details: Record<string, unknown> = {}, code = 'LAYOUT_INVALID'): never => {
    throw new InputError({
      code,
      message: `${source}: ${message}`,
      hint: 'fix the layout (format: Flatcar build_library/disk_layout.json)',
      details: { file: source, ...details },
    });
  };
  if (!isObject(config)) return fail('expected a JSON object with "metadata" and "layouts"');
  const meta = checkLayoutMetadata(config.metadata);
  if ('problem' in meta) return fail(meta.problem.message, { field: meta.problem.field });
  const metadata = meta.metadata;

  let layouts: Record<string, unknown>;
  if (isObject(config.layouts)) layouts = config.layouts;
  else if (isObject(config.partitions)) layouts = { base: config.partitions };
  else return fail('missing "layouts" (or "partitions")');

  const names = Object.keys(layouts);
  const name = opts.name ?? (names.includes('base') || names.length !== 1 ? 'base' : names[0]!);
  const chosen = layouts[name];
  if (!isObject(chosen)) {
    return fail(
      `has no layout named ${JSON.stringify(name)} (it has: ${names.join(', ') || 'none'})`,
      { layout: name },
      'LAYOUT_NOT_FOUND',
    );
  }
  const base = name === 'base' ? {} : layouts.base;
  if (base !== undefined && !isObject(base))
    return fail('"layouts.base" must be an object', { layout: 'base' });

  // Inherit base field by field, as disk_util does.
  const merged: Record<string, Record<string, unknown>> = {};
  for (const [num, part] of Object.entries(base ?? {})) {
    if (!isObject(part))
      return fail(`layout base: partition ${num} must be an object`, { layout: 'base', partition: num });
    merged[num] = { ...part };
  }
  for (const [num, part] of Object.entries(chosen)) {
    if (num === '_comment') continue;
    if (!isObject(part))
      return fail(`layout ${name}: partition ${num} must be an object`, { layout: name, partition: num });
    merged[num] = { ...(merged[num] ?? {}), ...part };
  }
  delete merged._comment;

  const partitions: LayoutPartition[] = [];
  const blank: number[] = [];
  const prioritized: LayoutPartition[] = [];
  for (const [numText, raw] of Object.entries(merged).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const where = `layout ${name}: partition ${numText}`;
    const at = (field: string): Record<string, unknown> => ({ layout: name, partition: numText, field });
    if (!/^[0-9]+$/.test(numText) || Number(numText) < 1 || Number(numText) > GPT_DEFAULT_ENTRY_COUNT) {
      fail(`${where}: partition numbers must be 1..${GPT_DEFAULT_ENTRY_COUNT}`, at('number'));
    }
    const number = Number(numText);
    const checked = checkLayoutPartition(raw, metadata);
    if ('blank' in checked) {
      blank.push(number);
      continue;
    }
    if ('problem' in checked) {
      const { field, message, code } = checked.problem;
      return fail(`${where}: ${message}`, at(field), code);
    }
    const v = checked.fields;
    let attributes = v.attributes;
    if (v.features.includes('hybrid')) attributes = setAttrBit(attributes, ATTR_BITS.LegacyBIOSBootable);
    const part: LayoutPartition = {
      number,
      label: v.label,
      type: v.type!,
      ...(v.typeAlias ? { typeAlias: v.typeAlias } : {}),
      ...(v.uuid ? { uuid: v.uuid } : {}),
      blocks: v.blocks,
      ...(v.first_block !== undefined ? { firstBlock: v.first_block } : {}),
      partAlignment: v.part_alignment ?? metadata.partAlignment,
      ...(v.fs_type ? { fsType: v.fs_type } : {}),
      ...(v.fs_label !== undefined ? { fsLabel: v.fs_label } : {}),
      ...(v.fs_blocks !== undefined ? { fsBlocks: v.fs_blocks } : {}),
      fsBlockSize: v.fs_block_size ?? metadata.fsBlockSize,
      ...(v.mount !== undefined ? { mount: v.mount } : {}),
      features: [...v.features],
      attributes,
    };
    if (part.features.includes('prioritize')) prioritized.push(part);
    partitions.push(part);
  }
  // disk_util gives the last prioritized partition priority 1, the one before 2, ... all successful.
  [...prioritized].reverse().forEach((p, i) => {
    p.attributes = encodeUsrAttrs(p.attributes, { priority: Math.min(i + 1, 15), successful: true });
  });
  if (partitions.length === 0) fail(`layout ${name} has no partitions`, { layout: name });
  return { name, source, metadata, partitions, blank };
}

/**
 * Place a layout's partitions: explicit first_block where given, else aligned after the previous
 * one. Overlaps are InputErrors (LAYOUT_OVERLAP) naming both partitions.
 */
export function placeLayout(layout: DiskLayout): PlacedLayout {
  const bs = layout.metadata.blockSize;
  const entrySectors = Math.ceil((GPT_DEFAULT_ENTRY_COUNT * GPT_ENTRY_SIZE) / bs);
  const firstUsable = 2 + entrySectors;
  let cursor = firstUsable;
  const placed: PlacedPartition[] = [];
  for (const p of layout.partitions) {
    const start = p.firstBlock ?? align(cursor, p.partAlignment);
    if (start < firstUsable) {
      throw layoutError(
        layout,
        p.number,
        'first_block',
        `first_block ${start} is inside the primary GPT (the first usable sector is ${firstUsable})`,
        'LAYOUT_INVALID',
      );
    }
    placed.push({ ...p, startLba: start, sizeLba: p.blocks });
    cursor = Math.max(cursor, start + p.blocks);
  }
  const byStart = [...placed].sort((a, b) => a.startLba - b.startLba);
  for (let i = 1; i < byStart.length; i++) {
    const a = byStart[i - 1]!;
    const b = byStart[i]!;
    if (b.startLba < a.startLba + a.sizeLba) {
      throw layoutError(
        layout,
        b.number,
        'first_block',
        `sectors ${b.startLba}-${b.startLba + b.sizeLba - 1} overlap partition ${a.number} (sectors ${a.startLba}-${a.startLba + a.sizeLba - 1})`,
        'LAYOUT_OVERLAP',
      );
    }
  }
  const end = byStart.reduce((m, p) => Math.max(m, p.startLba + p.sizeLba), firstUsable);
  const minSectors = end + entrySectors + 1;
  return {
    layout,
    partitions: placed,
    minBytes: minSectors * bs,
    alignedBytes: align(minSectors, layout.metadata.diskAlignment) * bs,
  };
}

/** Check that a placed layout fits a disk of `diskBytes`; LAYOUT_TOO_LARGE otherwise. */
export function checkLayoutFits(placed: PlacedLayout, diskBytes: number, what: string): void {
  if (diskBytes >= placed.minBytes) return;
  const bs = placed.layout.metadata.blockSize;
  const lastUsable =
    Math.floor(diskBytes / bs) - 1 - Math.ceil((GPT_DEFAULT_ENTRY_COUNT * GPT_ENTRY_SIZE) / bs) - 1;
  const over =
    placed.partitions.find((p) => p.startLba + p.sizeLba - 1 > lastUsable) ??
    placed.partitions[placed.partitions.length - 1]!;
  throw new InputError({
    code: 'LAYOUT_TOO_LARGE',
    message: `layout ${placed.layout.name} needs ${placed.minBytes} bytes, more than ${what} (${diskBytes} bytes): partition ${over.number} (${over.label}) field blocks ends at sector ${over.startLba + over.sizeLba - 1}, past the last usable sector ${lastUsable}`,
    hint: `use a size of at least ${placed.minBytes} bytes (${Math.ceil(placed.minBytes / 1048576)} MiB) or shrink the layout`,
    details: {
      layout: placed.layout.name,
      partition: over.number,
      field: 'blocks',
      needBytes: placed.minBytes,
      haveBytes: diskBytes,
    },
  });
}

/** The GPT a placed layout becomes. */
export function layoutToGptSpec(placed: PlacedLayout, opts: { diskGuid?: string } = {}): GptSpec {
  return {
    sectorSize: placed.layout.metadata.blockSize,
    ...(opts.diskGuid ? { diskGuid: opts.diskGuid } : {}),
    partitions: placed.partitions.map((p) => ({
      number: p.number,
      type: p.type,
      ...(p.uuid ? { uuid: p.uuid } : {}),
      name: p.label,
      startLba: p.startLba,
      sizeLba: p.sizeLba,
      attributes: p.attributes,
    })),
  };
}

/** Parse a size like `8G`, `512M`, `10GiB`, `4096` (bytes); binary units. */
export function parseSize(text: string | number, what = 'size'): number {
  if (typeof text === 'number' && Number.isSafeInteger(text) && text > 0) return text;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(String(text));
  if (!m) {
    throw new InputError({
      code: 'BAD_SIZE',
      message: `${what} ${JSON.stringify(text)} is not a size`,
      hint: 'use a number of bytes or a suffix: 512M, 8G, 1T',
    });
  }
  const mult =
    { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[
      m[2]!.toLowerCase() as '' | 'k'
    ] ?? 1;
  const bytes = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InputError({
      code: 'BAD_SIZE',
      message: `${what} ${JSON.stringify(text)} is out of range`,
      hint: 'use a positive size such as 8G',
    });
  }
  return bytes;
}

function layoutError(
  layout: DiskLayout,
  partition: number,
  field: string,
  message: string,
  code: string,
): InputError {
  return new InputError({
    code,
    message: `${layout.source}: layout ${layout.name}: partition ${partition}: ${message}`,
    hint: 'fix the layout',
    details: { file: layout.source, layout: layout.name, partition, field },
  });
}

function align(n: number, a: number): number {
  const r = n % a;
  return r === 0 ? n : n + (a - r);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
