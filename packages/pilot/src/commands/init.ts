import { defineCommand, writeOut } from '@mantle/core/cli';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot init [--user] [--force]` */
export const initSpec = defineCommand({
  command: 'init',
  examples: [['$0 init --user', "create the caller's own flake store"]],
  describe: 'create the flakes directories and flakes.yml (the system setup, or with --user your own)',
  builder: (y) =>
    storeOptions(y).option('force', {
      type: 'boolean',
      default: false,
      describe: 'rewrite flakes.yml even when it exists',
    }),
  run: async (args, ctx) => {
    const { initStore } = await import('../store/registry.js');
    return initStore(await storeFor(args, ctx), args.force);
  },
  print: (r, ctx) => {
    for (const c of r.created) writeOut(ctx, `created ${c}`);
    for (const k of r.kept) writeOut(ctx, `kept ${k} (--force rewrites it)`);
  },
});
