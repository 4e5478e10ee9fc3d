import type { z as Zod } from 'zod';
import { zodLib } from '../lazy/libs.js';
import { parseAttrs } from './gpt-attributes.js';
import { GPT_NAME_MAX, type SectorSize } from './gpt/index.js';
import { BLANK_TYPE, resolvePartitionType } from './partition-types.js';
import { isGuid, normalizeGuid } from './guid.js';
import { errorMessage } from '../errors/message.js';

// The fields of Flatcar's disk_layout.json as zod schemas: the metadata block and one partition.
// Every message names the field and the bad value as layout.ts has always reported them; the
// caller adds the file, layout and partition number.

/** Filesystem types a layout may name. */
export const LAYOUT_FS_TYPES = ['vfat', 'ext2', 'ext4', 'btrfs', 'squashfs', 'erofs'] as const;
export type LayoutFsType = (typeof LAYOUT_FS_TYPES)[number];

/** The metadata block, resolved: sectors, not bytes, except the two sizes. */
export interface LayoutMetadata {
  /** sectors each partition start is aligned to */
  partAlignment: number;
  /** sectors the disk size is rounded up to */
  diskAlignment: number;
  /** logical sector size */
  blockSize: SectorSize;
  /** default filesystem block size */
  fsBlockSize: number;
}

const DEFAULT_LAYOUT_METADATA: LayoutMetadata = {
  partAlignment: 2048,
  diskAlignment: 2048,
  blockSize: 512,
  fsBlockSize: 4096,
};

/** One partition's fields, checked (integers are numbers, the type a GUID, attrs parsed). */
export interface LayoutPartitionFields {
  /** the type GUID, or undefined for a `blank` slot (whose other fields are not checked) */
  type: string | undefined;
  /** the alias the layout used instead of a GUID */
  typeAlias?: string;
  label: string;
  blocks: number;
  block_size?: number;
  fs_blocks?: number;
  fs_block_size?: number;
  part_alignment?: number;
  first_block?: number;
  uuid?: string;
  fs_type?: LayoutFsType;
  fs_label?: string;
  mount?: string;
  features: string[];
  attributes: bigint;
}

/** A problem with one field: the message and the field it names (and a code other than LAYOUT_INVALID). */
export interface LayoutFieldProblem {
  field: string;
  message: string;
  code?: string;
}

// JSON keys disk_util accepts in a partition; we accept them all and add attrs and first_block.
const INTEGER_KEYS = [
  'blocks',
  'block_size',
  'fs_blocks',
  'fs_block_size',
  'part_alignment',
  'fs_bytes_per_inode',
  'fs_inode_size',
  'extract_blocks',
  'first_block',
] as const;
// `type` is checked after the numbers, as it always was.
const OTHER_KEYS = [
  '_comment',
  'num',
  'label',
  'fs_type',
  'features',
  'uuid',
  'mount',
  'binds',
  'fs_subvolume',
  'fs_label',
  'fs_compression',
  'attrs',
] as const;

const TYPE_CHOICES =
  'a GUID or one of: efi, bios, flatcar-usr, flatcar-resize, flatcar-reserved, data, blank';

/** A whole number (a JSON number or a string of digits), as disk_util reads them. */
function toInteger(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string' && /^[0-9]+$/.test(v.trim())) {
    const n = Number(v.trim());
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function wholeNumber(z: typeof Zod, key: string) {
  return z
    .unknown()
    .transform((v, ctx) => {
      const n = toInteger(v);
      if (n === undefined) {
        ctx.addIssue({ code: 'custom', message: `${key} ${JSON.stringify(v)} is not a whole number` });
        return z.NEVER;
      }
      return n;
    })
    .optional();
}

function partitionSchema(z: typeof Zod, metadata: LayoutMetadata) {
  // Checked first, for every slot (blank ones too): known keys, numbers, a type.
  const ints = Object.fromEntries(INTEGER_KEYS.map((k) => [k, wholeNumber(z, k)])) as {
    [K in (typeof INTEGER_KEYS)[number]]: ReturnType<typeof wholeNumber>;
  };
  const slot = z.strictObject({
    ...Object.fromEntries(OTHER_KEYS.map((k) => [k, z.unknown().optional()])),
    ...ints,
    type: z
      .unknown()
      .optional()
      .refine((t) => typeof t === 'string' && t !== '', {
        error: `type is missing (${TYPE_CHOICES})`,
      }),
  });
  const type = z.string().transform((t, ctx) => {
    const guid = resolvePartitionType(t);
    if (!guid) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown type alias ${JSON.stringify(t)} (use ${TYPE_CHOICES})`,
        params: { code: 'LAYOUT_UNKNOWN_TYPE' },
      });
      return z.NEVER;
    }
    return { guid, ...(isGuid(t) ? {} : { alias: t }) };
  });
  const label = z
    .string({ error: 'label is missing' })
    .refine((l) => Buffer.from(l, 'utf16le').length <= GPT_NAME_MAX * 2, {
      error: (iss) => `label ${JSON.stringify(iss.input)} is longer than ${GPT_NAME_MAX} characters`,
    });
  const partition = z.object({
    type,
    label,
    blocks: z
      .number({ error: 'blocks is missing' })
      .min(1, { error: 'blocks must be at least 1 (use type "blank" for an empty slot)' }),
    part_alignment: z.number().min(1, { error: 'part_alignment must be at least 1' }).optional(),
    block_size: z
      .number()
      .refine((b) => b === metadata.blockSize, {
        error: (iss) =>
          `block_size ${String(iss.input)} differs from metadata.block_size ${metadata.blockSize}`,
      })
      .optional(),
    uuid: z
      .unknown()
      .optional()
      .transform((u, ctx) => {
        if (u === undefined) return undefined;
        if (typeof u !== 'string' || !isGuid(u)) {
          ctx.addIssue({ code: 'custom', message: `uuid ${JSON.stringify(u)} is not a GUID` });
          return z.NEVER;
        }
        return normalizeGuid(u);
      }),
    fs_type: z
      .enum(LAYOUT_FS_TYPES, {
        error: (iss) => `fs_type ${JSON.stringify(iss.input)} is not one of ${LAYOUT_FS_TYPES.join(', ')}`,
      })
      .optional(),
    features: z.preprocess(
      (f) => f ?? [],
      z.array(z.string({ error: 'features must be a list of strings' }), {
        error: 'features must be a list of strings',
      }),
    ),
    attrs: z
      .unknown()
      .optional()
      .transform((a, ctx) => {
        if (a === undefined) return 0n;
        try {
          return parseAttrs(a as string);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `attrs: ${errorMessage(err)}` });
          return z.NEVER;
        }
      }),
    fs_blocks: z.number().optional(),
    fs_block_size: z.number().optional(),
    first_block: z.number().optional(),
    fs_label: z.string({ error: 'fs_label must be a string' }).optional(),
    mount: z.string({ error: 'mount must be a string' }).optional(),
  });
  return { slot, partition };
}

/** The first problem zod found, by the field it names. */
function firstProblem(issues: Zod.ZodError['issues'], fallbackField: string): LayoutFieldProblem {
  // An unknown key is reported before anything else: its value may be why other fields look wrong.
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return { field: key, message: `unknown field ${JSON.stringify(key)}` };
  }
  const field = typeof issue.path[0] === 'string' ? issue.path[0] : fallbackField;
  const code = (issue as { params?: { code?: string } }).params?.code;
  return { field, message: issue.message, ...(code ? { code } : {}) };
}

/**
 * Check one partition of a layout against the metadata it is placed with: the parsed fields, or
 * the first problem (naming its field). A `blank` slot only needs known keys and a type.
 */
export function checkLayoutPartition(
  raw: Record<string, unknown>,
  metadata: LayoutMetadata,
): { fields: LayoutPartitionFields } | { blank: true } | { problem: LayoutFieldProblem } {
  const z = zodLib();
  const { slot, partition } = partitionSchema(z, metadata);
  const s = slot.safeParse(raw);
  if (!s.success) return { problem: firstProblem(s.error.issues, 'type') };
  if (raw.type === BLANK_TYPE) return { blank: true };
  const p = partition.safeParse({ ...raw, ...s.data });
  if (!p.success) return { problem: firstProblem(p.error.issues, 'type') };
  const v = p.data;
  const fsBlockSize = v.fs_block_size ?? metadata.fsBlockSize;
  if (v.fs_blocks !== undefined && v.fs_blocks * fsBlockSize > v.blocks * metadata.blockSize) {
    return {
      problem: {
        field: 'fs_blocks',
        message: `fs_blocks ${v.fs_blocks} × ${fsBlockSize} bytes is larger than the partition (${v.blocks * metadata.blockSize} bytes)`,
      },
    };
  }
  return {
    fields: {
      type: v.type.guid,
      ...(v.type.alias ? { typeAlias: v.type.alias } : {}),
      label: v.label,
      blocks: v.blocks,
      ...(v.block_size !== undefined ? { block_size: v.block_size } : {}),
      ...(v.fs_blocks !== undefined ? { fs_blocks: v.fs_blocks } : {}),
      ...(v.fs_block_size !== undefined ? { fs_block_size: v.fs_block_size } : {}),
      ...(v.part_alignment !== undefined ? { part_alignment: v.part_alignment } : {}),
      ...(v.first_block !== undefined ? { first_block: v.first_block } : {}),
      ...(typeof v.uuid === 'string' ? { uuid: v.uuid } : {}),
      ...(v.fs_type !== undefined ? { fs_type: v.fs_type } : {}),
      ...(v.fs_label !== undefined ? { fs_label: v.fs_label } : {}),
      ...(v.mount !== undefined ? { mount: v.mount } : {}),
      features: v.features,
      attributes: v.attrs,
    },
  };
}

/** Check the metadata block: the resolved metadata (defaults filled in) or the first problem. */
export function checkLayoutMetadata(
  raw: unknown,
): { metadata: LayoutMetadata } | { problem: LayoutFieldProblem } {
  if (raw === undefined) return { metadata: { ...DEFAULT_LAYOUT_METADATA } };
  const z = zodLib();
  const positive = (key: string) =>
    z
      .unknown()
      .transform((v, ctx) => {
        const n = toInteger(v);
        if (n === undefined || n < 1) {
          ctx.addIssue({
            code: 'custom',
            message: `metadata.${key} ${JSON.stringify(v)} is not a positive whole number`,
          });
          return z.NEVER;
        }
        return n;
      })
      .optional();
  const schema = z.looseObject(
    {
      part_alignment: positive('part_alignment'),
      disk_alignment: positive('disk_alignment'),
      block_size: positive('block_size').refine((b) => b === undefined || b === 512 || b === 4096, {
        error: (iss) => `metadata.block_size ${String(iss.input)} is not 512 or 4096`,
      }),
      fs_block_size: positive('fs_block_size'),
    },
    { error: '"metadata" must be an object' },
  );
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = issue.path[0];
    return {
      problem: { field: typeof key === 'string' ? `metadata.${key}` : 'metadata', message: issue.message },
    };
  }
  const d = DEFAULT_LAYOUT_METADATA;
  return {
    metadata: {
      partAlignment: r.data.part_alignment ?? d.partAlignment,
      diskAlignment: r.data.disk_alignment ?? d.diskAlignment,
      blockSize: r.data.block_size ?? d.blockSize,
      fsBlockSize: r.data.fs_block_size ?? d.fsBlockSize,
    },
  };
}
