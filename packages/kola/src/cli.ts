import { isEntryPoint, main, packageVersion, type CliSpec } from '@mantle/core/cli';
// Every command imports its domain modules when it runs, so `kola --help` loads only yargs and
// the command definitions.
import { bootchartSpec } from './commands/bootchart.js';
import { cleanupSpec } from './commands/cleanup.js';
import { checkConsoleSpec } from './commands/check-console.js';
import { checkSpec } from './commands/check.js';
import { listSpec } from './commands/list.js';
import { mergeReportsSpec } from './commands/merge-reports.js';
import { runSpec } from './commands/run.js';
import { spawnSpec } from './commands/spawn.js';
import { versionSpec } from './commands/version.js';

const version = packageVersion(import.meta.url);

export const cli: CliSpec = {
  name: 'kola',
  version,
  description: 'boot OS images as machines, run tests against them, report',
  commands: (y, bind) =>
    y
      .command(bind(runSpec))
      .command(bind(listSpec))
      .command(bind(spawnSpec))
      .command(bind(checkConsoleSpec))
      .command(bind(checkSpec))
      .command(bind(bootchartSpec))
      .command(bind(cleanupSpec))
      .command(bind(mergeReportsSpec))
      .command(bind(versionSpec(version))),
};

if (isEntryPoint(import.meta.url)) await main(cli);
