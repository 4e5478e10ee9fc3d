import { defineCommand } from '@mantle/core/cli';
import type { MantleReport } from '../output/report-json.js';
import { platformFlags, platformOptions } from './platform-flags.js';

/** `kola run [GLOB...]`: boot machines and run the selected tests; prints report.json with --json. */
export const runSpec = defineCommand({
  command: 'run [glob..]',
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
      .option('exttest', {
        alias: 'E',
        type: 'string',
        array: true,
        describe:
          'external test directory: executables (exit 0 pass, 77 skip) plus optional kola.json/kola.yaml; tests are named ext.<dir>.<file>',
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
  run: async (a, ctx): Promise<MantleReport> => {
    const [{ parseRunOptions }, { parseParallel }, { parseShard }, { runCommand }] = await Promise.all([
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
      shard: a.shard === undefined ? undefined : parseShard(a.shard),
      exttest: a.exttest ?? [],
      testsDirs: a.testsDir ?? [],
      snapshot: a.snapshot,
      share: a.share,
    });
    // --json prints exactly report.json (the result also says where the output went).
    const { outputDir: _dir, interrupted: _int, ...report } = await runCommand(opts, ctx);
    return report;
  },
  // The progress lines were printed while the tests ran; --json prints report.json instead.
  print: () => {},
});
