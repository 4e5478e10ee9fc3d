import { isEntryPoint, main, packageVersion, type CliSpec } from '@mantle/core/cli';
import { awsCommands } from './commands/aws.js';
import { azureCommands } from './commands/azure.js';
import { doCommands } from './commands/do.js';
import { esxCommands } from './commands/esx.js';
import { gcloudCommands } from './commands/gcloud.js';
import { imageCommands } from './commands/image.js';
import { openStackCommands } from './commands/openstack.js';
import { profilesCommand } from './commands/profiles-list.js';

export const cli: CliSpec = {
  name: 'ore',
  version: packageVersion(import.meta.url),
  description: 'convert OS images to cloud formats, upload, register, list and garbage-collect them',
  examples: [
    ['$0 image info flatcar_production_qemu_image.img', 'inspect an image'],
    [
      '$0 aws upload --file flatcar_production_ami_image.bin --ami-name flatcar-stable-4081.2.0',
      'upload and register an AMI',
    ],
    ['$0 gcloud list-images --project my-project', 'list GCE images'],
  ],
  commands: (y, bind) =>
    y
      .command(imageCommands(bind))
      .command(profilesCommand(bind))
      .command(awsCommands(bind))
      .command(gcloudCommands(bind))
      .command(azureCommands(bind))
      .command(doCommands(bind))
      .command(openStackCommands(bind))
      .command(esxCommands(bind)),
};

if (isEntryPoint(import.meta.url)) await main(cli);
