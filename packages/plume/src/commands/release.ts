import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { ReleaseResult } from '../release/release.js';
import { storeOptions } from './flags.js';
import { runFlags } from './run-flags.js';

/** `plume release -C CHANNEL -B BOARD -V VERSION`. */
export const releaseSpec = defineCommand({
  command: 'release',
  describe:
    'make a pre-released build public, copy its artifacts to the public stores, rebuild their indexes',
  builder: (y) => runFlags(y),
  run: async (a, ctx) => {
    const { withRun } = await import('../release/open-run.js');
    const { release } = await import('../release/release.js');
    return withRun('release', a, storeOptions(a, ctx), ctx, release);
  },
  print: (r: ReleaseResult, ctx: CommandContext) => {
    if (r.alreadyDone)
      writeOut(ctx, `release of ${r.channel} ${r.board} ${r.version} was done earlier: nothing to do`);
    for (const x of r.aws ?? []) writeOut(ctx, `aws ${x.partition} ${x.region} ${x.imageId} public`);
    if (r.azure) writeOut(ctx, `azure ${r.azure.blob}`);
    if (r.azure?.galleryVersion) writeOut(ctx, `azure gallery version ${r.azure.galleryVersion}`);
    for (const s of r.storage)
      writeOut(
        ctx,
        `storage ${s.url}: ${s.copied} copied, ${s.unchanged} unchanged, ${s.deleted} deleted, ${s.indexPages} index pages written`,
      );
  },
});
