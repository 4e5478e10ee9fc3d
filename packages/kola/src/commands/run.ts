import { defineCommand, writeOut } from '@mantle/core/cli';
import type { MantleReport } from '../output/report-json.js';
import type { RunPlan } from '../run/dry-run.js';
import { formatPlan } from '../run/plan-format.js';
import { platformFlags, platformOptions } from './platform-flags.js';

/** `kola run [GLOB...]`: boot machines and run the selected tests; prints report.json with --json. */
export const runSpec = defineCommand({
  command: 'run [glob..]',
  examples: [
    [
      "$0 run -p qemu --qemu-image flatcar_production_qemu_image.img 'cl.*'",
      'run every cl.* test on local qemu machines',
    ],
    [
      '$0 run --board amd64-usr --key ~/.ssh/id_rsa.pub -k -b cl -p qemu --qemu-image flatcar_production_qemu_image.img cl.basic',
      "one test, with your SSH key authorized (as in mantle's README)",
    ],
    [
      '$0 run -p qemu --qemu-image flatcar_production_qemu_image.img --shard 1/4 --output-dir _kola_temp',
      'the first of four CI shards, reports in _kola_temp/',
    ],
    ["$0 run -p aws --aws-ami ami-0123456789abcdef0 --aws-region us-east-1 'cl.*'", 'run on EC2 machines'],
  ],
  describe: 'run tests whose names match the globs (default: all)',
  builder: (y) =>
    platformFlags(y)
      .positional('glob', { type: 'string', array: true, describe: "test name globs, e.g. 'basic.*'" })
      .option('distro', {
        alias: 'b',
        type: 'string',
        describe:
          'distribution to select tests for (default: from the image: tiny, systemd; else cl); -b tiny|systemd alone boots that cached image',
      })
      .option('parallel', {
        alias: 'j',
        type: 'string',
        default: '1',
        describe: "tests at once: a number or 'auto'",
      })
      .option('tapfile', { type: 'string', describe: 'also write the TAP report here' })
      .option('tag', { type: 'string', array: true, describe: 'run only tests with one of these tags' })
      .option('exclude-tag', { type: 'string', array: true, describe: 'skip tests with any of these tags' })
      .option('denylist-test', { type: 'string', array: true, describe: 'skip tests matching these globs' })
      .option('rerun-failed', {
        alias: 'rerun',
        type: 'boolean',
        default: false,
        describe: 'rerun failed tests once; a pass then is reported as a flake',
      })
      .option('shard', { alias: 'sharding', type: 'string', describe: 'run the i-th of n shards, e.g. 2/4' })
      .option('shard-by', {
        choices: ['name', 'duration'] as const,
        default: 'name' as const,
        describe:
          'split by sorted name (every n-th), or by duration: balanced by the test durations of --shard-durations',
      })
      .option('shard-durations', {
        type: 'string',
        describe: "an earlier run's reports/report.json, for --shard-by duration",
      })
      .option('exttest', {
        alias: 'E',
        type: 'string',
        array: true,
        describe:
          'external test directory: executables (exit 0 pass, 77 skip) plus optional kola.json/kola.yaml; tests are named ext.<dir>.<file>',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe:
          'cloud platforms: print the plan (tests × machines × instance type) and its estimated cost; create nothing',
      })
      .option('tests-dir', {
        type: 'string',
        array: true,
        describe: 'load extra tests from the JS modules in this directory',
      })
      .option('snapshot', {
        type: 'boolean',
        default: true,
        describe:
          'start machines that boot the same config as copies of one saved machine (--no-snapshot: boot each)',
      })
      .option('share', {
        type: 'boolean',
        default: true,
        describe: 'run exclusive:false tests in turn on one shared machine (--no-share: a machine each)',
      }),
  run: async (a, ctx): Promise<MantleReport | RunPlan> => {
    const [{ parseRunOptions }, { parseParallel }, { parseShard, shardOptions }, { runCommand }] =
      await Promise.all([
        import('../run/options.js'),
        import('../harness/parallel.js'),
        import('../registry/filter.js'),
        import('../run/run-command.js'),
      ]);
    const opts = parseRunOptions({
      ...platformOptions(a),
      globs: a.glob ?? [],
      distro: a.distro,
      parallel: parseParallel(a.parallel, '--parallel'),
      tapfile: a.tapfile,
      tags: a.tag ?? [],
      excludeTags: a.excludeTag ?? [],
      denylist: a.denylistTest ?? [],
      rerunFailed: a.rerunFailed,
      shard:
        a.shard === undefined
          ? undefined
          : await shardOptions(parseShard(a.shard), a.shardBy, a.shardDurations, ctx.cwd),
      exttest: a.exttest ?? [],
      testsDirs: a.testsDir ?? [],
      snapshot: a.snapshot,
      share: a.share,
    });
    if (a.dryRun) {
      const { dryRunCommand } = await import('../run/dry-run.js');
      return dryRunCommand(opts, ctx);
    }
    // --json prints exactly report.json (the result also says where the output went).
    const { outputDir: _dir, interrupted: _int, ...report } = await runCommand(opts, ctx);
    return report;
  },
  // The progress lines were printed while the tests ran; --json prints report.json instead.
  print: (data, ctx) => {
    if ('dryRun' in data) writeOut(ctx, formatPlan(data));
  },
});
