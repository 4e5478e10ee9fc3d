import { defineCommand } from '@mantle/core/cli';
import { platformFlags, platformOptions } from './platform-flags.js';

/** `kola check SPEC`: boot one machine and run a declarative check spec on it with kolet. */
export const checkSpec = defineCommand({
  command: 'check <spec>',
  describe: 'boot one machine of an image and run a declarative check spec on it with kolet',
  builder: (y) =>
    platformFlags(y)
      .positional('spec', {
        type: 'string',
        demandOption: true,
        describe: 'check spec (YAML with goss-style keys: user, file, service, port, ...)',
      })
      .option('format', {
        choices: ['documentation', 'json', 'tap'] as const,
        default: 'documentation' as const,
        describe: 'report format',
      })
      .option('userdata', {
        alias: 'u',
        type: 'string',
        describe: 'Butane or Ignition file for the machine',
      }),
  run: async (a, ctx) => {
    const [{ parseRunOptions }, { checkCommand }] = await Promise.all([
      import('../run/options.js'),
      import('../run/check-command.js'),
    ]);
    return checkCommand(
      { run: parseRunOptions(platformOptions(a)), spec: a.spec, format: a.format, userdata: a.userdata },
      ctx,
    );
  },
  // The report was printed in the chosen --format; --json prints it as data.
  print: () => {},
});
