import { isEntryPoint, main, notBuiltYet, packageVersion, type CliSpec } from '@mantle/core';

export const cli: CliSpec = {
  name: 'kola',
  version: packageVersion(import.meta.url),
  description: 'boot OS images as machines, run tests against them, report',
  commands: (y, bind) =>
    y
      .command(bind(notBuiltYet('run [glob..]', 'run tests', 'issue 4')))
      .command(bind(notBuiltYet('list', 'list registered tests', 'issue 4')))
      .command(bind(notBuiltYet('spawn', 'boot machines and print how to reach them', 'issue 4')))
      .command(bind(notBuiltYet('check-console [files..]', 'check console logs for known bad lines', 'issue 4')))
      .command(bind(notBuiltYet('bootchart', 'save systemd-analyze plot and blame of a booted machine', 'issue 5')))
      .command(bind(notBuiltYet('check', 'boot an image and run a declarative check spec', 'issue 5'))),
};

if (isEntryPoint(import.meta.url)) await main(cli);
