import { defineCommand, writeOut } from '@mantle/core/cli';
import type { MergeResult } from '../output/merge-reports.js';

/** `kola merge-reports DIR... --out DIR`: the shards of a split run (--shard i/n) as one report. */
export const mergeReportsSpec = defineCommand({
  command: 'merge-reports <dirs..>',
  examples: [
    [
      '$0 merge-reports shard-1 shard-2 shard-3 -o merged',
      'one report.json, junit.xml and TAP file from the shards of a run',
    ],
  ],
  describe: 'merge the outputs of sharded runs into one report.json, junit.xml and test.tap',
  builder: (y) =>
    y
      .positional('dirs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: "each shard's output directory (holding reports/report.json)",
      })
      .option('out', {
        alias: 'o',
        type: 'string',
        demandOption: true,
        describe: 'where to write reports/report.json, reports/junit.xml and test.tap',
      }),
  run: async (a, ctx) => {
    const { mergeReports } = await import('../output/merge-reports.js');
    const r = await mergeReports({ dirs: a.dirs, out: a.out, cwd: ctx.cwd });
    if (r.result === 'FAIL') ctx.setExitCode(1);
    return r;
  },
  print: (r: MergeResult, ctx) => {
    const count = (s: string): number =>
      r.tests.filter((t) => t.result === s && !t.name.includes('/')).length;
    writeOut(
      ctx,
      `${r.result}: ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped from ${r.inputs.length} shard(s); written to ${r.outDir}`,
    );
  },
});
