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
  examples: [
    ['$0 pre-release -C beta -B amd64-usr', 'upload private cloud images of a release'],
    ['$0 release -C beta -B amd64-usr', 'make them public'],
    [
      '$0 fetch https://stable.release.flatcar-linux.net/amd64-usr/current/version.txt',
      'a verified download (what gangue get did)',
    ],
  ],
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
