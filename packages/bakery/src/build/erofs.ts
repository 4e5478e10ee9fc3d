import { requireTool, run } from '@mantle/core/exec';
import { uuidFromSeed } from './deterministic-uuid.js';
import { toolEnv, type BuildInput } from './formats.js';
import { stageTree } from './staging.js';

/** Build an erofs image (lz4hc, as sysext-bakery), all files root-owned with the epoch as timestamp. */
export async function buildErofs(input: BuildInput): Promise<{ staging: 'hardlink' | 'copy' }> {
  const mkfs = await requireTool('mkfs.erofs', {
    debianPackage: 'erofs-utils',
    purpose: 'build erofs sysext images',
    env: input.env,
  });
  const stage = await stageTree(input.source, input.generated, input.scratch, {
    logger: input.logger,
    signal: input.signal,
  });
  const args = [
    '-zlz4hc,12',
    '-C65536',
    '-Efragments,ztailpacking',
    '--all-root',
    `-T${input.epoch}`,
    `-U${uuidFromSeed(input.seed)}`,
    '--quiet',
    input.out,
    stage.dir,
  ];
  await run(mkfs, args, {
    env: toolEnv(input.env, input.epoch),
    signal: input.signal,
    logger: input.logger,
    timeoutMs: 6 * 3600_000,
  });
  return { staging: stage.method };
}
