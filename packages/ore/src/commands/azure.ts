import type { CommandModule } from 'yargs';
import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
import { azureUploadBlobCommand } from './azure-upload-blob.js';

/** The `ore azure` command group. */
export function azureCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'azure',
    describe: 'Azure: upload VHDs as page blobs',
    builder: (y) =>
      withExamples(y, [
        [
          '$0 azure upload-blob --file flatcar_production_azure_image.vhd --storage-account myaccount --container vhds',
          'upload a VHD as a page blob',
        ],
      ])
        .command(bind(azureUploadBlobCommand))
        .demandCommand(1, 'ore azure: a subcommand is required'),
    handler: () => {},
  };
}
