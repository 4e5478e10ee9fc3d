import { isEntryPoint, main, notBuiltYet, packageVersion, type CliSpec } from '@mantle/core';
import { bakeSpec } from './commands/bake.js';
import { createSpec } from './commands/create.js';
import { flixSpec } from './commands/flix.js';
import { inspectSpec } from './commands/inspect.js';
import { listRecipesSpec } from './commands/list-recipes.js';
import { publishSpec } from './commands/publish.js';
import { sysupdateSpec } from './commands/sysupdate.js';
import { validateSpec } from './commands/validate.js';

export const cli: CliSpec = {
  name: 'bakery',
  version: packageVersion(import.meta.url),
  description: 'build, inspect, validate and publish systemd-sysext images and bake them into OS images',
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
      .command(bind(notBuiltYet('flatwrap <rootfs> <name> <paths..>', 'wrap binaries of a chroot with bwrap/unshare entry points in a sysext', 'issue 6')))
      .command(bind(notBuiltYet('oci-rootfs <image> <dir>', 'unpack a container image into a directory', 'issue 6'))),
};

if (isEntryPoint(import.meta.url)) await main(cli);
