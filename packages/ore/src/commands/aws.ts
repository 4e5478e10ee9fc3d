import type { CommandModule } from 'yargs';
import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
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
      withExamples(y, [
        [
          '$0 aws upload --file flatcar_production_ami_image.bin --ami-name flatcar-stable-4081.2.0',
          'upload and register an AMI',
        ],
        ['$0 aws list-images --json', 'your AMIs, as JSON'],
      ])
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
