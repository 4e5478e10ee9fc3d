import { isEntryPoint, main, notBuiltYet, packageVersion, type CliSpec } from '@mantle/core/cli';

export const cli: CliSpec = {
  name: 'vm-pilot',
  version: packageVersion(import.meta.url),
  description: 'launch a registered flake inside a micro-VM',
  noSubcommandRequired: true,
  commands: (y, bind) => y.command(bind(notBuiltYet('$0', 'launch the flake named by argv[0]'))),
};

if (isEntryPoint(import.meta.url)) await main(cli);
