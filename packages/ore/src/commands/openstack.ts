import type { CommandModule } from 'yargs';
import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
import {
  openStackCreateImageCommand,
  openStackDeleteImageCommand,
  openStackGcCommand,
  openStackListImagesCommand,
} from './openstack-images.js';

/** The `ore openstack` command group. */
export function openStackCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'openstack',
    describe: 'OpenStack: upload images to Glance, list, delete, garbage-collect',
    builder: (y) =>
      withExamples(y, [['$0 openstack list-images', 'the images ore made']])
        .command(bind(openStackCreateImageCommand))
        .command(bind(openStackDeleteImageCommand))
        .command(bind(openStackListImagesCommand))
        .command(bind(openStackGcCommand))
        .demandCommand(1, 'ore openstack: a subcommand is required'),
    handler: () => {},
  };
}
