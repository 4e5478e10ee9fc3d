import { defineCommand, type Examples } from '@mantle/core/cli';
import type { Engine } from '../flake/schema.js';
import { printRemoved } from './remove-print.js';
import { storeFor, storeOptions } from './store-options.js';

/**
 * `pilot <engine> remove --<flag> NAME | --app PATH`: the three engines' remove commands differ
 * only in the option naming the image (flake-ctl's --container and --vm; --name for bwrap).
 */
export function removeCommand<K extends 'container' | 'vm' | 'name'>(
  engine: Engine,
  flag: K,
  what: string,
  examples: Examples,
) {
  return defineCommand({
    command: 'remove',
    examples,
    describe: `remove an app registration, or every app of a ${what} and the ${what} itself`,
    builder: (y) =>
      storeOptions(y)
        .option(flag, {
          type: 'string',
          describe: `remove every app registered with this ${what}, then the ${what}`,
        })
        .option('app', { type: 'string', describe: 'remove this app (its symlink, flake and drop-ins)' })
        .conflicts(flag, 'app')
        .check((a) => {
          if (!a[flag] && !a.app) throw new Error(`give --${flag} NAME or --app PATH`);
          return true;
        })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'remove even when the flake or the pilot symlink is missing',
        }),
    run: async (args, ctx) => {
      const { removeEngineApps } = await import('../store/remove.js');
      const image: unknown = args[flag];
      return removeEngineApps(await storeFor(args, ctx), engine, {
        app: args.app,
        image: typeof image === 'string' ? image : undefined,
        force: args.force,
        logger: ctx.logger,
      });
    },
    print: printRemoved,
  });
}
