import { defineCommand } from '@mantle/core/cli';
import { checkFlags } from '../run/check-flags.js';
import { platformFlags, platformOptions } from './platform-flags.js';

/** `kola check SPEC`: boot one machine and run a goss spec on it with kolet. */
export const checkSpec = defineCommand({
  command: 'check <spec..>',
  describe:
    'boot one machine of an image and run goss specs on it with kolet, one after another (--vars, -e NAME=VALUE; the reports are kept in the output dir)',
  builder: (y) =>
    checkFlags(
      platformFlags(y).positional('spec', {
        type: 'string',
        array: true,
        demandOption: true,
        describe:
          'goss specs (YAML or JSON: user, file, service, port, ...; templates and gossfile includes as goss), all run on the one machine',
      }),
    ),
  run: async (a, ctx) => {
    const [{ parseRunOptions }, { checkCommand, checkOptionsFromArgs }] = await Promise.all([
      import('../run/options.js'),
      import('../run/check-command.js'),
    ]);
    return checkCommand(checkOptionsFromArgs(a, parseRunOptions(platformOptions(a))), ctx);
  },
  // The report was printed in the chosen --format; --json prints it as data.
  print: () => {},
});
