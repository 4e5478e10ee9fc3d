import type { CommandModule } from 'yargs';
import type { CommandBinder, GlobalArgs } from '@mantle/core/cli';
import { awsGcCommand, awsListRegionsCommand } from './aws-gc.js';
import { awsCopyImageCommand, awsDeleteCommand, awsListImagesCommand } from './aws-images.js';
import { awsInitializeCommand } from './aws-initialize.js';
import { awsUploadCommand } from './aws-upload.js';

/** The `ore aws` command group. */
export function awsCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'aws',
    describe: 'Amazon EC2: upload AMIs, copy, list, delete, garbage-collect',
    builder: (y) =>
      y
        .command(bind(awsInitializeCommand))
        .command(bind(awsUploadCommand))
        .command(bind(awsCopyImageCommand))
        .command(bind(awsListImagesCommand))
        .command(bind(awsDeleteCommand))
        .command(bind(awsGcCommand))
        .command(bind(awsListRegionsCommand))
        .demandCommand(1, 'ore aws: a subcommand is required'),
    handler: () => {},
  };
}
