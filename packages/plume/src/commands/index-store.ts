import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { IndexResult } from '../index-pages/build-indexes.js';
import { storeFlags, withStore } from './flags.js';

/** `plume index DEST [--dry-run]`: browsable index.html pages for a store. */
export const indexSpec = defineCommand({
  command: 'index <dest>',
  examples: [
    ['$0 index s3://my-bucket/stable/', 'write index.html pages for every directory of the release bucket'],
  ],
  describe: 'write index.html for every directory of a store (only pages whose content changed)',
  builder: (y) =>
    storeFlags(
      y
        .positional('dest', {
          type: 'string',
          demandOption: true,
          describe: 'file:///dir, s3://bucket/prefix, gs://bucket/prefix, azure://account/container/prefix',
        })
        .option('title', { type: 'string', describe: 'page title (default: the bucket or directory name)' })
        .option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'show which pages would be written or deleted',
        }),
    ),
  run: async (a, ctx) => {
    const { buildIndexes } = await import('../index-pages/build-indexes.js');
    return withStore(a.dest, a, ctx, async (store) =>
      buildIndexes(store, {
        ...(a.title !== undefined ? { title: a.title } : {}),
        dryRun: a.dryRun,
        logger: ctx.logger,
        signal: ctx.signal,
      }),
    );
  },
  print: (r: IndexResult, ctx: CommandContext) => {
    const verb = r.dryRun ? 'would be ' : '';
    writeOut(
      ctx,
      `${r.store}: ${r.objects} objects, ${r.pages.length} pages: ${r.written} ${verb}written, ${r.unchanged} unchanged, ${r.deleted} ${verb}deleted`,
    );
  },
});
