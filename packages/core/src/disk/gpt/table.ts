import type { GptPartition, GptTable } from './types.js';

// Questions any table answers, read or written.

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
