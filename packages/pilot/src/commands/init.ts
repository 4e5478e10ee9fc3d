import { writeOut, type CommandContext, type CommandSpec } from '@mantle/core/cli';
import { storeFor, storeOptions, type StoreArgs } from './store-options.js';

interface InitArgs extends StoreArgs {
  force: boolean;
}

/** `pilot init [--user] [--force]` */
export const initSpec: CommandSpec<InitArgs> = {
  command: 'init',
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
  print: (r: { created: string[]; kept: string[] }, ctx: CommandContext) => {
    for (const c of r.created) writeOut(ctx, `created ${c}`);
    for (const k of r.kept) writeOut(ctx, `kept ${k} (--force rewrites it)`);
  },
};
