import { defineCommand } from '@mantle/core/cli';
import { printList } from '../run/list-print.js';

/** `kola list`: the registered tests (built-in, --tests-dir, --exttest); a table, or --json. */
export const listSpec = defineCommand({
  command: 'list',
  examples: [
    ['$0 list', 'every registered test, its platforms and distros'],
    ["$0 list --filter 'cl.*' --json", 'the cl.* tests as JSON'],
  ],
  describe: 'list registered tests (built-in and --tests-dir)',
  builder: (y) =>
    y
      .option('filter', { type: 'string', array: true, describe: 'only tests whose names match these globs' })
      .option('tests-dir', {
        type: 'string',
        array: true,
        describe: 'also load tests from the JS modules in this directory',
      })
      .option('exttest', {
        alias: 'E',
        type: 'string',
        array: true,
        describe: 'also list the external tests of this directory',
      }),
  run: async (a, ctx) => {
    const { listCommand } = await import('../run/list-command.js');
    return listCommand(
      { filter: a.filter ?? [], testsDirs: a.testsDir ?? [], exttest: a.exttest ?? [] },
      ctx,
    );
  },
  print: (data, ctx) => printList(data, ctx),
});
