import { isEntryPoint, main, notBuiltYet, packageVersion, type CliSpec } from '@mantle/core';

export const cli: CliSpec = {
  name: 'bakery',
  version: packageVersion(import.meta.url),
  description: 'build, inspect, validate and publish systemd-sysext images and bake them into OS images',
  commands: (y, bind) =>
    y
      .command(bind(notBuiltYet('create <name>', 'build a sysext image', 'issue 6')))
      .command(bind(notBuiltYet('inspect <image>', 'show what a sysext image holds', 'issue 6')))
      .command(bind(notBuiltYet('validate <image>', 'tell whether systemd would merge an image', 'issue 6')))
      .command(bind(notBuiltYet('list-recipes', 'list built-in recipes', 'issue 6')))
      .command(bind(notBuiltYet('sysupdate <name>', 'write sysupdate transfer files', 'issue 6')))
      .command(bind(notBuiltYet('publish <dir> <dest>', 'upload images and SHA256SUMS', 'issue 6')))
      .command(bind(notBuiltYet('bake <image> <sysexts..>', 'put sysexts into an OS disk image', 'issue 6'))),
};

if (isEntryPoint(import.meta.url)) await main(cli);
