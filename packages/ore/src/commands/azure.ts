import type { CommandModule } from 'yargs';
import type { CommandBinder, GlobalArgs } from '@mantle/core/cli';
import { azureUploadBlobCommand } from './azure-upload-blob.js';

/** The `ore azure` command group. */
export function azureCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'azure',
    describe: 'Azure: upload VHDs as page blobs',
    builder: (y) =>
      y.command(bind(azureUploadBlobCommand)).demandCommand(1, 'ore azure: a subcommand is required'),
    handler: () => {},
  };
}
