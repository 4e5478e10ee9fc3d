import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
import type { CommandModule } from 'yargs';
import { specShowSpec } from './spec-show.js';

/** The `plume spec` command group. */
export function specCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'spec',
    describe: 'the release spec: channels × boards → sources and destinations',
    builder: (y) =>
      withExamples(y, [
        ['$0 spec show -C stable -B amd64-usr', "the stable amd64 release's sources and destinations"],
      ])
        .command(bind(specShowSpec))
        .demandCommand(1, 'plume spec: a subcommand is required (show)'),
    handler: () => {},
  };
}
