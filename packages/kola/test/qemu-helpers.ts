// Helpers of the qemu platform's integration tests (not a test file itself).
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { mantleCacheDir } from '../src/platform/qemu/index.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

/** The tiny image's directory, building it (cached) with images/tiny/build.sh when missing. */
export async function ensureTinyImage(): Promise<string> {
  const dir = join(mantleCacheDir(), 'images', 'tiny-latest');
  const built = await stat(join(dir, 'manifest.json')).then(
    () => true,
    () => false,
  );
  if (!built) await promisify(execFile)(join(repo, 'images/tiny/build.sh'), [], { maxBuffer: 64 << 20 });
  return dir;
}

/** Pids of qemu processes whose command line mentions `needle`. */
export async function qemuPidsWith(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('qemu-system') && cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

// The esbuild bundling of a .ts entry for a plain `node` child is shared with the benchmarks.
export { bundleForNode } from '../../../bench/lib/bundle-ts.mjs';
