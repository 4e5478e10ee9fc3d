import { defineCommand } from '@mantle/core/cli';
import { printRemoved } from './remove-print.js';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot bwrap remove --name NAME | --app PATH` */
export const bwrapRemoveSpec = defineCommand({
  command: 'remove',
  describe:
    'remove an app registration, or every app of a root filesystem and the root filesystem pilot unpacked',
  builder: (y) =>
    storeOptions(y)
      .option('name', {
        type: 'string',
        describe: 'remove every app of this root filesystem, then its unpacked tree',
      })
      .option('app', { type: 'string', describe: 'remove this app (its symlink, flake and drop-ins)' })
      .conflicts('name', 'app')
      .check((a) => {
        if (!a.name && !a.app) throw new Error('give --name NAME or --app PATH');
        return true;
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'remove even when the flake or the pilot symlink is missing',
      }),
  run: async (args, ctx) => {
    const { removeEngineApps } = await import('../store/remove.js');
    return removeEngineApps(await storeFor(args, ctx), 'bwrap', {
      app: args.app,
      image: args.name,
      force: args.force,
      logger: ctx.logger,
    });
  },
  print: printRemoved,
});
