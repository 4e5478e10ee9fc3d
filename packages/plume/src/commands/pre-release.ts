import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { PreReleaseResult } from '../release/pre-release.js';
import { storeOptions } from './flags.js';
import { runFlags } from './run-flags.js';

/** `plume pre-release -C CHANNEL -B BOARD -V VERSION`. */
export const preReleaseSpec = defineCommand({
  command: 'pre-release',
  examples: [
    [
      '$0 pre-release -C beta -B amd64-usr --verify-key signing.asc',
      'verify the build and upload private cloud images',
    ],
    ['$0 pre-release -C beta -B amd64-usr --resume', 'continue an interrupted pre-release'],
  ],
  describe: 'upload a build privately to every destination of its channel (journaled; rerun to resume)',
  builder: (y) => runFlags(y),
  run: async (a, ctx) => {
    const { withRun } = await import('../release/open-run.js');
    const { preRelease } = await import('../release/pre-release.js');
    return withRun('pre-release', a, storeOptions(a, ctx), ctx, preRelease);
  },
  print: (r: PreReleaseResult, ctx: CommandContext) => {
    if (r.alreadyDone)
      writeOut(ctx, `pre-release of ${r.channel} ${r.board} ${r.version} was done earlier: nothing to do`);
    for (const p of r.aws?.partitions ?? [])
      for (const [region, ami] of Object.entries(p.amis)) writeOut(ctx, `aws ${p.name} ${region} ${ami}`);
    if (r.azure) writeOut(ctx, `azure ${r.azure.blob}`);
    writeOut(
      ctx,
      `pre-release of ${r.channel} ${r.board} ${r.version} complete; run plume release to publish it`,
    );
  },
});
