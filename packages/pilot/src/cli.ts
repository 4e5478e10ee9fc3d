import { isEntryPoint, main, packageVersion, type CliSpec } from '@mantle/core/cli';
import { bwrapCommands, podmanCommands, vmCommands } from './commands/groups.js';
import { initSpec } from './commands/init.js';
import { listSpec } from './commands/list.js';
import { showSpec } from './commands/show.js';

export const cli: CliSpec = {
  name: 'pilot',
  version: packageVersion(import.meta.url),
  description:
    'register host commands that really run inside a container, a micro-VM or a bubblewrap sandbox',
  examples: [
    ['$0 podman pull --uri docker.io/amazon/aws-cli', 'pull a container image (flake-ctl podman pull)'],
    [
      '$0 podman register --container amazon/aws-cli --app /usr/bin/aws --target /',
      'aws on the host runs in the container',
    ],
    ['$0 list', 'the registered apps'],
  ],
  commands: (y, bind) =>
    y
      .command(podmanCommands(bind))
      .command(vmCommands(bind))
      .command(bwrapCommands(bind))
      .command(bind(listSpec))
      .command(bind(showSpec))
      .command(bind(initSpec)),
};

if (isEntryPoint(import.meta.url)) await main(cli);
