import { isEntryPoint, main, packageVersion, type CliSpec } from '@mantle/core/cli';
import { bakeSpec } from './commands/bake.js';
import { createSpec } from './commands/create.js';
import { flatwrapSpec } from './commands/flatwrap.js';
import { flixSpec } from './commands/flix.js';
import { inspectSpec } from './commands/inspect.js';
import { listRecipesSpec } from './commands/list-recipes.js';
import { ociRootfsSpec } from './commands/oci-rootfs.js';
import { publishSpec } from './commands/publish.js';
import { sysupdateSpec } from './commands/sysupdate.js';
import { validateSpec } from './commands/validate.js';

export const cli: CliSpec = {
  name: 'bakery',
  version: packageVersion(import.meta.url),
  description: 'build, inspect, validate and publish systemd-sysext images and bake them into OS images',
  examples: [
    ['$0 create myext --from ./myext', 'a sysext image from a directory (bake.sh myext)'],
    ['$0 create --recipe docker --version 27.3.1', 'the docker sysext from its recipe'],
    [
      '$0 bake flatcar_production_image.bin docker-27.3.1-x86-64.raw --out baked.bin',
      'an OS image with the sysext baked in',
    ],
  ],
  commands: (y, bind) =>
    y
      .command(bind(createSpec))
      .command(bind(inspectSpec))
      .command(bind(validateSpec))
      .command(bind(listRecipesSpec))
      .command(bind(sysupdateSpec))
      .command(bind(publishSpec))
      .command(bind(bakeSpec))
      .command(bind(flixSpec))
      .command(bind(flatwrapSpec))
      .command(bind(ociRootfsSpec)),
};

if (isEntryPoint(import.meta.url)) await main(cli);
