import { isEntryPoint, main, notBuiltYet, packageVersion, type CliSpec } from '@mantle/core/cli';

export const cli: CliSpec = {
  name: 'pilot',
  version: packageVersion(import.meta.url),
  description: 'register host commands that run inside a container or a micro-VM',
  commands: (y, bind) =>
    y
      .command(bind(notBuiltYet('register', 'register a flake')))
      .command(bind(notBuiltYet('list', 'list registered flakes')))
      .command(bind(notBuiltYet('remove', 'remove a flake'))),
};

if (isEntryPoint(import.meta.url)) await main(cli);
