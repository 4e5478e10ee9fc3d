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

export const cli: CliSpec = {
  name: 'kola',
  version: packageVersion(import.meta.url),
  description: 'boot OS images as machines, run tests against them, report',
  examples: [
    [
      "$0 run -p qemu --qemu-image flatcar_production_qemu_image.img 'cl.*'",
      'run tests on local qemu machines',
    ],
    ['$0 list', 'the registered tests'],
    [
      '$0 spawn -p qemu --qemu-image flatcar_production_qemu_image.img --shell',
      'boot a machine and open a shell',
    ],
  ],
  commands: (y, bind) =>
    y
      .command(bind(runSpec))
      .command(bind(listSpec))
      .command(bind(spawnSpec))
      .command(bind(checkConsoleSpec))
      .command(bind(checkSpec))
      .command(bind(bootchartSpec))
      .command(bind(cleanupSpec))
      .command(bind(mergeReportsSpec)),
};

if (isEntryPoint(import.meta.url)) await main(cli);
