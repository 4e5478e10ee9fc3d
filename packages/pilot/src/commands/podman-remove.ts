import { defineCommand } from '@mantle/core/cli';
import { printRemoved } from './remove-print.js';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot podman remove --container NAME | --app PATH` */
export const podmanRemoveSpec = defineCommand({
  command: 'remove',
  describe: "remove an app registration, or every app of a container and the container's image",
  builder: (y) =>
    storeOptions(y)
      .option('container', {
        type: 'string',
        describe: 'remove every app registered with this image, then the image',
      })
      .option('app', { type: 'string', describe: 'remove this app (its symlink, flake and drop-ins)' })
      .conflicts('container', 'app')
      .check((a) => {
        if (!a.container && !a.app) throw new Error('give --container NAME or --app PATH');
        return true;
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'remove even when the flake or the pilot symlink is missing',
      }),
  run: async (args, ctx) => {
    const { removeEngineApps } = await import('../store/remove.js');
    return removeEngineApps(await storeFor(args, ctx), 'podman', {
      app: args.app,
      image: args.container,
      force: args.force,
      logger: ctx.logger,
    });
  },
  print: printRemoved,
});
