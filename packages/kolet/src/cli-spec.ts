import { UsageError } from '@mantle/core/errors';
import { defineCommand, type CliSpec } from '@mantle/core/cli';
import { CHECK_FORMATS } from './checks/format/format-report.js';
import { MAX_DURATION_MS, parseDurationMs } from './checks/duration.js';
import {
  listCommand,
  printList,
  printVersion,
  versionCommand,
  type VersionInfo,
} from './commands/info-commands.js';
import { runNativeCommand } from './commands/run-command.js';
import { nativeRegistry, type NativeListing, type NativeRegistry } from './native/registry.js';
import { writeRebootRequest } from './native/reboot-request.js';
import { koletVersion } from './version.js';

function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0 || ms > MAX_DURATION_MS) {
    throw new UsageError({
      code: 'BAD_DURATION',
      message: `--${flag} ${value}: ${ms !== undefined && ms > 0 ? 'longer than the maximum of 24h' : 'not a duration'}`,
      hint: 'give milliseconds or a duration such as 30s or 5m (at most 24h)',
    });
  }
  return ms;
}

const moduleOption = {
  alias: 'm',
  type: 'string',
  array: true,
  // One file per --module: an array option would otherwise swallow TEST and FUNC too.
  nargs: 1,
  default: [] as string[],
  describe: 'a JavaScript module on this machine that registers more native functions (repeatable)',
} as const;

/** Registers the bundled native functions; run before the commands that look them up. */
export type PrepareRegistry = (registry: NativeRegistry) => Promise<void>;

function runSpec(registry: NativeRegistry, prepare: PrepareRegistry) {
  return defineCommand({
    command: 'run <test> <func>',
    describe:
      'run a native function of a test (exit 0 pass, 1 fail, 77 skip, 78 reboot requested, 2 unknown test or function)',
    builder: (y) =>
      y
        .positional('test', { type: 'string', demandOption: true, describe: 'the kola test name' })
        .positional('func', { type: 'string', demandOption: true, describe: 'the native function name' })
        .option('module', moduleOption)
        .option('reboot-mark', {
          type: 'string',
          describe: 'the mark of the reboot this function asked for (else $KOLA_REBOOT_MARK)',
        })
        .option('timeout', { type: 'string', describe: 'fail the function after this long (e.g. 5m)' }),
    run: async (a, ctx) => {
      await prepare(registry);
      await runNativeCommand(
        {
          test: a.test,
          func: a.func,
          modules: a.module,
          rebootMark: a.rebootMark,
          timeoutMs: duration('timeout', a.timeout),
          registry,
        },
        ctx,
      );
      return undefined;
    },
  });
}

const checkSpec = defineCommand({
  command: 'check <spec>',
  describe:
    'run declarative checks from a goss-style YAML spec (- reads stdin; templates and gossfile includes as goss); exit 1 when one fails, 2 when the spec is invalid',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', demandOption: true, describe: 'the spec file, or - for stdin' })
      .option('format', {
        alias: 'f',
        choices: CHECK_FORMATS,
        default: 'documentation' as const,
        describe: 'output format',
      })
      .option('timeout', { type: 'string', describe: 'fail checks still running after this long (e.g. 60s)' })
      .option('retry-timeout', {
        type: 'string',
        describe: 'retry a failing spec until it passes or this long passed (e.g. 2m)',
      })
      .option('sleep', { type: 'string', default: '1s', describe: 'pause between retries' })
      .option('max-concurrent', {
        type: 'number',
        default: 8,
        describe: 'resources checked at once',
      })
      .option('vars', {
        type: 'string',
        describe: 'YAML or JSON file of variables for the spec template ({{ .Vars.name }})',
      })
      .option('vars-inline', {
        type: 'string',
        describe: 'YAML or JSON variables, over those of --vars (e.g. \'{"name": "value"}\')',
      }),
  run: async (a, ctx) => {
    if (!Number.isInteger(a.maxConcurrent) || a.maxConcurrent < 1) {
      throw new UsageError({
        code: 'BAD_CONCURRENCY',
        message: `--max-concurrent ${String(a.maxConcurrent)}: expected a whole number of at least 1`,
        hint: 'e.g. --max-concurrent 8',
      });
    }
    for (const [flag, v] of [
      ['vars', a.vars],
      ['vars-inline', a.varsInline],
    ] as const) {
      if (Array.isArray(v))
        throw new UsageError({
          code: 'BAD_VARS',
          message: `--${flag} was given ${v.length} times; give it once`,
          hint: 'one --vars file, and --vars-inline for the values that override it',
        });
    }
    // Loaded on use: the check engine (zod, yaml) is most of kolet's start-up otherwise.
    const { checkSpecCommand } = await import('./commands/check-command.js');
    await checkSpecCommand(
      {
        // yargs hands a lone '-' (stdin) over as ''.
        spec: a.spec === '' ? '-' : a.spec,
        // --json (every mantle binary has it) means the JSON format here.
        format: a.json ? 'json' : a.format,
        timeoutMs: duration('timeout', a.timeout),
        retryTimeoutMs: duration('retry-timeout', a.retryTimeout),
        sleepMs: duration('sleep', a.sleep),
        maxConcurrent: a.maxConcurrent,
        vars: a.vars,
        varsInline: a.varsInline,
      },
      ctx,
    );
    return undefined; // already printed in the chosen format
  },
});

const rebootRequestSpec = defineCommand({
  command: 'reboot-request <mark>',
  describe:
    'inside `kolet run`: reboot when the native function returns, then run it again with $KOLA_REBOOT_MARK=<mark>',
  builder: (y) =>
    y.positional('mark', {
      type: 'string',
      demandOption: true,
      describe: 'what the function sees after the reboot',
    }),
  run: async (a, ctx) => {
    await writeRebootRequest(a.mark, ctx.env);
    ctx.stderr.write(
      `kolet: reboot requested (mark ${a.mark}); it happens when the native function returns\n`,
    );
    return undefined;
  },
});

function listSpec(registry: NativeRegistry, prepare: PrepareRegistry) {
  return defineCommand({
    command: 'list',
    describe: 'list the tests and native functions this kolet can run',
    builder: (y) => y.option('module', moduleOption),
    run: async (a, ctx) => {
      await prepare(registry);
      return listCommand({ modules: a.module, registry }, ctx);
    },
    print: (data: NativeListing[], ctx) => printList(data, ctx),
  });
}

const versionSpec = defineCommand({
  command: 'version',
  describe: 'print kolet’s version and build id (--json: also Node.js and platform)',
  run: () => Promise.resolve(versionCommand()),
  print: (data: VersionInfo, ctx) => printVersion(data, ctx),
});

/**
 * kolet's command line, bound to a registry (the process-wide one by default). `prepare` fills
 * the registry before `run` and `list` (the executable registers its bundled tests there, so
 * `version` and `check` do not pay for loading them).
 */
export function createKoletCli(
  registry: NativeRegistry = nativeRegistry,
  prepare: PrepareRegistry = () => Promise.resolve(),
): CliSpec {
  let prepared: Promise<void> | undefined;
  const once: PrepareRegistry = (r) => (prepared ??= prepare(r));
  return {
    name: 'kolet',
    version: koletVersion,
    description: 'agent that runs native test functions and checks on a machine',
    commands: (y, bind) =>
      y
        .command(bind(runSpec(registry, once)))
        .command(bind(checkSpec))
        .command(bind(rebootRequestSpec))
        .command(bind(listSpec(registry, once)))
        .command(bind(versionSpec)),
  };
}
