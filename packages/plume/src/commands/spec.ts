import type { CommandBinder, GlobalArgs } from '@mantle/core/cli';
import type { CommandModule } from 'yargs';
import { specShowSpec } from './spec-show.js';

/** The `plume spec` command group. */
export function specCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'spec',
    describe: 'the release spec: channels × boards → sources and destinations',
    builder: (y) =>
      y.command(bind(specShowSpec)).demandCommand(1, 'plume spec: a subcommand is required (show)'),
    handler: () => {},
  };
}
