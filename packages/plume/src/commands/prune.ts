import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { PruneResult } from '../release/prune.js';
import { specFlag, storeFlags, storeOptions } from './flags.js';

/** `plume prune -C CHANNEL [-B BOARD] --keep N [--yes]`: dry run unless --yes. */
export const pruneSpec = defineCommand({
  command: 'prune',
  examples: [
    ['$0 prune -C alpha --keep 5', 'show which old releases would be deleted'],
    ['$0 prune -C alpha --keep 5 --yes', 'delete them'],
  ],
  describe: 'delete the releases of a channel older than the newest N per board (a dry run unless --yes)',
  builder: (y) =>
    storeFlags(specFlag(y))
      .option('channel', { alias: 'C', type: 'string', demandOption: true, describe: 'channel' })
      .option('board', { alias: 'B', type: 'string', describe: 'only this board (default: every board)' })
      .option('keep', {
        type: 'number',
        demandOption: true,
        describe: 'releases per board to keep, newest by version',
      })
      .option('poll-interval', {
        type: 'number',
        default: 15,
        describe: 'seconds before the first poll of a cloud operation (backoff after)',
      })
      .option('yes', {
        type: 'boolean',
        default: false,
        describe: 'delete (without it: list what would go)',
      }),
  run: async (a, ctx) => {
    const { loadSpec } = await import('../spec/load.js');
    const { prune } = await import('../release/prune.js');
    const { spec } = await loadSpec(a.spec, ctx.cwd);
    return prune(
      {
        spec,
        channel: a.channel,
        board: a.board,
        keep: a.keep,
        yes: a.yes,
        storeOptions: storeOptions(a, ctx),
        pollMs: a.pollInterval * 1000,
      },
      ctx,
    );
  },
  print: (r: PruneResult, ctx: CommandContext) => {
    for (const [board, versions] of Object.entries(r.kept))
      writeOut(ctx, `${board}: keeping ${versions.length > 0 ? versions.join(', ') : '(no releases found)'}`);
    const verb = r.dryRun ? 'would delete' : 'deleted';
    for (const t of r.targets)
      writeOut(
        ctx,
        `${verb} ${t.board} ${t.version} ${t.where} ${t.id}${t.snapshotId ? ` (snapshot ${t.snapshotId})` : ''}`,
      );
    if (r.dryRun && r.targets.length > 0)
      ctx.logger.info(`dry run: pass --yes to delete ${r.targets.length}`);
    if (r.targets.length === 0) writeOut(ctx, 'nothing to prune');
  },
});
