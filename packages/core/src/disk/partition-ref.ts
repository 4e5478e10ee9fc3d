import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../errors/mantle-error.js';
import { findPartition, partitionBytes, readGpt } from './gpt/index.js';

/** A partition of an image file as a byte window: what the filesystem tools work on. */
export interface PartitionRef {
  image: string;
  /** byte offset of the partition in the image */
  offset: number;
  /** partition size in bytes */
  size: number;
  number?: number;
  label?: string;
}

/** Find a partition of an image by number or label (PARTITION_NOT_FOUND, exit 2, when absent). */
export async function partitionRef(image: string, which: number | string): Promise<PartitionRef> {
  const table = await readGpt(image);
  const p = findPartition(table, which);
  if (!p) {
    throw new InputError({
      code: 'PARTITION_NOT_FOUND',
      message: `${image} has no partition ${typeof which === 'number' ? `number ${which}` : JSON.stringify(which)}`,
      hint: `its partitions are: ${table.partitions.map((q) => `${q.number} ${q.name}`).join(', ') || 'none'}`,
      details: { file: image, partition: which },
    });
  }
  return { image, ...partitionBytes(table, p), number: p.number, label: p.name };
}

/**
 * Run `fn` with a path to the image that the fs tools can parse: debugfs splits `name?options`
 * and mtools splits `name@@offset`, so an image path holding `?` or `@@` is reached through a
 * symlink in a private temp dir.
 */
export async function withToolPath<T>(image: string, fn: (path: string) => Promise<T>): Promise<T> {
  const abs = resolve(image);
  if (!abs.includes('?') && !abs.includes('@@')) return fn(image);
  const dir = await mkdtemp(join(tmpdir(), 'mantle-img-'));
  try {
    const link = join(dir, 'image');
    await symlink(abs, link);
    return await fn(link);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A temp dir removed after `fn` (whatever happens). */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
