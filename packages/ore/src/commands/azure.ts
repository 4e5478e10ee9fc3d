import type { CommandModule } from 'yargs';
import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
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
      withExamples(y, [
        [
          '$0 azure upload-blob --file flatcar_production_azure_image.vhd --storage-account myaccount --container vhds',
          'upload a VHD as a page blob',
        ],
        ['$0 azure list-images --resource-group flatcar', 'the managed images of a resource group'],
      ])
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
