import { isEntryPoint, main, notBuiltYet, packageVersion, type CliSpec } from '@mantle/core/cli';

export const cli: CliSpec = {
  name: 'plume',
  version: packageVersion(import.meta.url),
  description: 'release OS images: pre-release, release, indexes, verified download',
  commands: (y, bind) =>
    y
      .command(bind(notBuiltYet('pre-release', 'upload a release privately')))
      .command(bind(notBuiltYet('release', 'make a release public')))
      .command(bind(notBuiltYet('index', 'rebuild storage index pages')))
      .command(bind(notBuiltYet('fetch <url>', 'download and verify a file'))),
};

if (isEntryPoint(import.meta.url)) await main(cli);
