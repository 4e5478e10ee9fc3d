import { availableParallelism, freemem } from 'node:os';
import { UsageError } from '@mantle/core/errors';

export interface AutoParallelInput {
  /** CPU cores (os.availableParallelism()) */
  cores?: number;
  /** free memory in bytes (os.freemem()) */
  freeMemoryBytes?: number;
  /** memory of one machine in MiB (the platform's --qemu-memory) */
  memoryPerMachineMiB: number;
  /** the largest clusterSize among the selected tests (0 counts as 1) */
  clusterSize: number;
}

/**
 * `--parallel auto`: as many tests as there are cores, but no more than 75% of the free memory
 * can hold (each test boots clusterSize machines); never 0, so a small machine still runs.
 */
export function autoParallel(input: AutoParallelInput): number {
  const cores = Math.max(1, input.cores ?? availableParallelism());
  const free = input.freeMemoryBytes ?? freemem();
  const perTest = Math.max(1, input.memoryPerMachineMiB) * 1024 * 1024 * Math.max(1, input.clusterSize);
  const byMemory = Math.floor((free * 0.75) / perTest);
  return Math.max(1, Math.min(cores, byMemory));
}

/** Parse `-j/--parallel`: a positive integer or `auto`. */
export function parseParallel(value: string | number, flag = '--parallel'): number | 'auto' {
  const text = String(value).trim();
  if (text === 'auto') return 'auto';
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError({
      code: 'BAD_PARALLEL',
      message: `${flag} ${text}: expected a number of tests at once (1 or more) or 'auto'`,
      hint: `use '${flag} 1' to run tests one by one or '${flag} auto' to fit the cores and free memory`,
    });
  }
  return n;
}
