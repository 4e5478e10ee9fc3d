import type { CommandModule } from 'yargs';
import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
import {
  gcloudDeleteImagesCommand,
  gcloudDeprecateCommand,
  gcloudGcCommand,
  gcloudListImagesCommand,
} from './gcloud-images.js';
import { gcloudCreateImageCommand, gcloudUploadCommand } from './gcloud-upload.js';

/** The `ore gcloud` command group. */
export function gcloudCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'gcloud',
    aliases: ['gce'],
    describe: 'Google Compute Engine: upload images, create, list, delete, deprecate, garbage-collect',
    builder: (y) =>
      withExamples(y, [
        [
          '$0 gcloud upload --bucket gs://my-bucket/images --file flatcar_production_gce.tar.gz',
          'upload a GCE image',
        ],
        ['$0 gcloud list-images --project my-project', "the project's images"],
      ])
        .command(bind(gcloudUploadCommand))
        .command(bind(gcloudCreateImageCommand))
        .command(bind(gcloudListImagesCommand))
        .command(bind(gcloudDeleteImagesCommand))
        .command(bind(gcloudDeprecateCommand))
        .command(bind(gcloudGcCommand))
        .demandCommand(1, 'ore gcloud: a subcommand is required'),
    handler: () => {},
  };
}
