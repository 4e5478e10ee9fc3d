import { describe, expect, it } from 'vitest';
import { autoParallel, parseParallel } from './parallel.js';

const GiB = 1024 ** 3;

describe('--parallel', () => {
  it('auto = min(cores, floor(free*0.75 / (machine memory * cluster size))), never 0', () => {
    expect(
      autoParallel({ cores: 8, freeMemoryBytes: 16 * GiB, memoryPerMachineMiB: 1024, clusterSize: 1 }),
    ).toBe(8);
    expect(
      autoParallel({ cores: 8, freeMemoryBytes: 4 * GiB, memoryPerMachineMiB: 1024, clusterSize: 1 }),
    ).toBe(3);
    expect(
      autoParallel({ cores: 8, freeMemoryBytes: 4 * GiB, memoryPerMachineMiB: 1024, clusterSize: 2 }),
    ).toBe(1);
    expect(
      autoParallel({ cores: 2, freeMemoryBytes: 0.5 * GiB, memoryPerMachineMiB: 2048, clusterSize: 3 }),
    ).toBe(1);
    expect(
      autoParallel({ cores: 4, freeMemoryBytes: 64 * GiB, memoryPerMachineMiB: 512, clusterSize: 0 }),
    ).toBe(4);
    expect(autoParallel({ memoryPerMachineMiB: 512, clusterSize: 1 })).toBeGreaterThanOrEqual(1);
  });

  it('parses numbers and auto, rejecting 0 and junk naming the flag', () => {
    expect(parseParallel('auto')).toBe('auto');
    expect(parseParallel('4')).toBe(4);
    expect(parseParallel(3)).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'many', ''])
      expect(() => parseParallel(bad, '--parallel')).toThrow(/--parallel/);
    try {
      parseParallel('0');
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
  });
});
