import type { CommandModule } from 'yargs';
import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
import { doCreateImageCommand, doDeleteImageCommand, doGcCommand, doListImagesCommand } from './do-images.js';

/** The `ore do` command group. */
export function doCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'do',
    aliases: ['digitalocean'],
    describe: 'DigitalOcean: create custom images from URLs, list, delete, garbage-collect',
    builder: (y) =>
      withExamples(y, [['$0 do list-images', 'the custom images ore made']])
        .command(bind(doCreateImageCommand))
        .command(bind(doDeleteImageCommand))
        .command(bind(doListImagesCommand))
        .command(bind(doGcCommand))
        .demandCommand(1, 'ore do: a subcommand is required'),
    handler: () => {},
  };
}
