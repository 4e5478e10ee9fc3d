import { isEntryPoint, main, notBuiltYet, packageVersion, type CliSpec } from '@mantle/core';

export const cli: CliSpec = {
  name: 'kolet',
  version: packageVersion(import.meta.url),
  description: 'agent that runs native test functions and checks on a machine',
  commands: (y, bind) =>
    y
      .command(bind(notBuiltYet('run <test> <func>', 'run a native function of a test', 'issue 5')))
      .command(bind(notBuiltYet('check <spec>', 'run declarative checks', 'issue 5')))
      .command(bind(notBuiltYet('reboot-request', 'let a test continue across a reboot', 'issue 5'))),
};

if (isEntryPoint(import.meta.url)) await main(cli);
