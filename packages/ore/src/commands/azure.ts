import type { CommandModule } from 'yargs';
import type { CommandBinder, GlobalArgs } from '@mantle/core/cli';
import { azureCreateGalleryImageCommand, azureListGalleryVersionsCommand } from './azure-gallery.js';
import {
  azureCreateImageCommand,
  azureDeleteImageCommand,
  azureGcCommand,
  azureListImagesCommand,
} from './azure-images.js';
import { azureUploadBlobCommand } from './azure-upload-blob.js';

/** The `ore azure` command group. */
export function azureCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'azure',
    describe: 'Azure: upload VHDs as page blobs, create managed images and gallery image versions, list, gc',
    builder: (y) =>
      y
        .command(bind(azureUploadBlobCommand))
        .command(bind(azureCreateImageCommand))
        .command(bind(azureCreateGalleryImageCommand))
        .command(bind(azureListImagesCommand))
        .command(bind(azureListGalleryVersionsCommand))
        .command(bind(azureDeleteImageCommand))
        .command(bind(azureGcCommand))
        .demandCommand(1, 'ore azure: a subcommand is required'),
    handler: () => {},
  };
}
