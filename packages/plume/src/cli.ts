import { isEntryPoint, main, notBuiltYet, packageVersion, type CliSpec } from '@mantle/core/cli';
import { fetchSpec } from './commands/fetch.js';
import { indexSpec } from './commands/index-store.js';
import { listImagesSpec } from './commands/list-images.js';
import { publishImageSpec } from './commands/publish-image.js';
import { specCommands } from './commands/spec.js';

export const cli: CliSpec = {
  name: 'plume',
  version: packageVersion(import.meta.url),
  description: 'release OS images: pre-release, release, indexes, verified download',
  commands: (y, bind) =>
    y
      .command(specCommands(bind))
      .command(bind(notBuiltYet('pre-release', 'upload a release privately')))
      .command(bind(notBuiltYet('release', 'make a release public')))
      .command(bind(indexSpec))
      .command(bind(fetchSpec))
      .command(bind(publishImageSpec))
      .command(bind(listImagesSpec)),
};

if (isEntryPoint(import.meta.url)) await main(cli);
