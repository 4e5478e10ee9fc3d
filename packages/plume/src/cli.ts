import { isEntryPoint, main, packageVersion, type CliSpec } from '@mantle/core/cli';
import { fetchSpec } from './commands/fetch.js';
import { indexSpec } from './commands/index-store.js';
import { listImagesSpec } from './commands/list-images.js';
import { preReleaseSpec } from './commands/pre-release.js';
import { publishImageSpec } from './commands/publish-image.js';
import { pruneSpec } from './commands/prune.js';
import { releaseSpec } from './commands/release.js';
import { specCommands } from './commands/spec.js';
import { statusSpec } from './commands/status.js';

export const cli: CliSpec = {
  name: 'plume',
  version: packageVersion(import.meta.url),
  description: 'release OS images: pre-release, release, indexes, verified download',
  commands: (y, bind) =>
    y
      .command(specCommands(bind))
      .command(bind(preReleaseSpec))
      .command(bind(releaseSpec))
      .command(bind(statusSpec))
      .command(bind(pruneSpec))
      .command(bind(indexSpec))
      .command(bind(fetchSpec))
      .command(bind(publishImageSpec))
      .command(bind(listImagesSpec)),
};

if (isEntryPoint(import.meta.url)) await main(cli);
