import { open } from 'node:fs/promises';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTool, run } from '@mantle/core/exec';
import { uuidFromSeed } from './deterministic-uuid.js';
import { toolEnv, type BuildInput } from './formats.js';
import { stageTree } from './staging.js';

// btrfs through mkfs.btrfs --rootdir --shrink from a staging tree. btrfs-progs cannot force file
// owners or times, so a btrfs image is root-owned only when the tree is, and not reproducible
// (documented; squashfs or erofs are the reproducible formats).

/** Build a btrfs image (needs btrfs-progs; PrerequisiteError exit 3 without it). */
export async function buildBtrfs(
  input: BuildInput,
): Promise<{ staging: 'hardlink' | 'copy'; reproducible: false }> {
  const mkfs = await requireTool('mkfs.btrfs', {
    debianPackage: 'btrfs-progs',
    purpose: 'build btrfs sysext images',
    env: input.env,
  });
  const stage = await stageTree(input.source, input.generated, input.scratch, {
    logger: input.logger,
    signal: input.signal,
  });
  const bytes = await treeBytes(stage.dir);
  // mkfs.btrfs needs a file at least as large as the data plus metadata; --shrink cuts it back.
  const size = Math.max(128 * 1024 * 1024, Math.ceil(bytes * 1.5) + 128 * 1024 * 1024);
  const fh = await open(input.out, 'w', 0o644);
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
  await run(
    mkfs,
    ['-q', '-f', '-U', uuidFromSeed(input.seed), '--rootdir', stage.dir, '--shrink', input.out],
    {
      env: toolEnv(input.env, input.epoch),
      signal: input.signal,
      logger: input.logger,
      timeoutMs: 6 * 3600_000,
    },
  );
  return { staging: stage.method, reproducible: false };
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += 4096 + (await treeBytes(p));
    else if (e.isFile()) total += (await stat(p)).size + 4096;
    else total += 4096;
  }
  return total;
}
