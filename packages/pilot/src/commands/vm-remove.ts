import { defineCommand } from '@mantle/core/cli';
import { printRemoved } from './remove-print.js';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot vm remove --vm NAME | --app PATH` */
export const vmRemoveSpec = defineCommand({
  command: 'remove',
  describe: 'remove an app registration, or every app of a VM image and the image',
  builder: (y) =>
    storeOptions(y)
      .option('vm', {
        type: 'string',
        describe: 'remove every app registered with this VM image, then the image',
      })
      .option('app', { type: 'string', describe: 'remove this app (its symlink, flake and drop-ins)' })
      .conflicts('vm', 'app')
      .check((a) => {
        if (!a.vm && !a.app) throw new Error('give --vm NAME or --app PATH');
        return true;
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'remove even when the flake or the pilot symlink is missing',
      }),
  run: async (args, ctx) => {
    const { removeEngineApps } = await import('../store/remove.js');
    return removeEngineApps(await storeFor(args, ctx), 'vm', {
      app: args.app,
      image: args.vm,
      force: args.force,
      logger: ctx.logger,
    });
  },
  print: printRemoved,
});
