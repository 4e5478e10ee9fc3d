import { defineCommand } from '@mantle/core/cli';
import { printCheckConsole } from '../run/check-console-command.js';

/** `kola check-console FILE...`: known bad lines in saved console logs (exit 1 when any). */
export const checkConsoleSpec = defineCommand({
  command: 'check-console <files..>',
  examples: [
    [
      '$0 check-console _kola_temp/qemu-latest/*/console.txt',
      'look for kernel panics, oopses and failed units in console logs',
    ],
  ],
  describe: 'check saved console logs for known bad lines (exit 1 when any)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'console.txt files' })
      .option('skip-flag', {
        type: 'string',
        array: true,
        choices: ['no-kernel-panic-check', 'no-emergency-shell-check', 'no-console-check'] as const,
        describe: 'turn a check off as the test flag of that name does',
      }),
  run: async (a, ctx) => {
    const { checkConsoleCommand } = await import('../run/check-console-command.js');
    return checkConsoleCommand({ files: a.files, skipFlags: a.skipFlag ?? [] }, ctx);
  },
  print: (data, ctx) => printCheckConsole(data, ctx),
});
