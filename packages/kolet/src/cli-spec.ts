import { defineCommand, type CliSpec } from '@mantle/core/cli';
import {
  durationFlag,
  formatFlags,
  formatOptions,
  gossFlags,
  maxConcurrent,
  outputFormat,
  packageManager,
  specPath,
  useColor,
  varsFiles,
  varsInline,
} from './commands/goss-options.js';
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
      const result = await runNativeCommand(
        {
          test: a.test,
          func: a.func,
          modules: a.module,
          rebootMark: a.rebootMark,
          timeoutMs: durationFlag('timeout', a.timeout, { positive: true }),
          registry,
        },
        ctx,
      );
      // --json prints the result as data; else the function's output was printed already.
      return ctx.json ? result : undefined;
    },
  });
}

const checkSpec = defineCommand({
  command: ['check [spec]', 'validate [spec]', 'v [spec]'],
  describe:
    'run goss checks (goss validate): a goss spec with its templates and gossfile includes; exit 0 passed, 1 failed (nagios: 2), 2 invalid spec',
  builder: (y) =>
    formatFlags(gossFlags(y), 'documentation')
      .option('color', {
        type: 'boolean',
        describe: 'force colour on (--no-color: off); default when stdout is a terminal',
      })
      .option('timeout', { type: 'string', describe: 'fail checks still running after this long (e.g. 60s)' })
      .option('retry-timeout', {
        alias: 'r',
        type: 'string',
        describe:
          'retry a failing spec while elapsed + sleep stays within this (e.g. 2m; $GOSS_RETRY_TIMEOUT)',
      })
      .option('sleep', {
        alias: 's',
        type: 'string',
        describe: 'pause between retries (default 1s; $GOSS_SLEEP)',
      }),
  run: async (a, ctx) => {
    const env = ctx.env;
    // Loaded on use: the check engine (zod, yaml) is most of kolet's start-up otherwise.
    const { checkSpecCommand } = await import('./commands/check-command.js');
    await checkSpecCommand(
      {
        spec: specPath(a, env),
        // --json (every mantle binary has it) means the JSON format here.
        format: a.json ? 'json' : outputFormat(a, env, 'documentation'),
        formatOptions: formatOptions(a, env),
        color: useColor(a.color, ctx.stdout, env),
        timeoutMs: durationFlag('timeout', a.timeout),
        retryTimeoutMs: durationFlag('retry-timeout', a.retryTimeout ?? env.GOSS_RETRY_TIMEOUT),
        sleepMs: durationFlag('sleep', a.sleep ?? env.GOSS_SLEEP) ?? 1000,
        maxConcurrent: maxConcurrent(a, env),
        vars: varsFiles(a, env),
        varsInline: varsInline(a, env),
        packageManager: packageManager(a),
      },
      ctx,
    );
    return undefined; // already printed in the chosen format
  },
});

const renderSpec = defineCommand({
  command: ['render [spec]', 'r [spec]'],
  describe:
    'print a spec with its gossfile includes rendered and merged into one (goss render; --debug also prints each rendered file)',
  builder: (y) => gossFlags(y),
  run: async (a, ctx) => {
    const { renderCommand } = await import('./commands/render-command.js');
    await renderCommand(
      {
        spec: specPath(a, ctx.env),
        vars: varsFiles(a, ctx.env),
        varsInline: varsInline(a, ctx.env),
        debug: a.debug,
      },
      ctx,
    );
    return undefined;
  },
});

const serveSpec = defineCommand({
  command: ['serve [spec]', 's [spec]'],
  describe:
    'serve a health endpoint (goss serve): 200 when the checks pass, 503 when one fails, the report in --format or the one the Accept header names',
  builder: (y) =>
    formatFlags(gossFlags(y), 'rspecish')
      .option('listen-addr', {
        alias: 'l',
        type: 'string',
        describe: 'address to listen on, [ip]:port (default :8080; $GOSS_LISTEN)',
      })
      .option('endpoint', {
        alias: 'e',
        type: 'string',
        describe: 'the health endpoint (default /healthz; $GOSS_ENDPOINT)',
      })
      .option('cache', {
        alias: 'c',
        type: 'string',
        describe: 'how long results are reused (default 5s; $GOSS_CACHE)',
      })
      .option('timeout', {
        type: 'string',
        describe: 'fail checks still running after this long (e.g. 60s)',
      }),
  run: async (a, ctx) => {
    const env = ctx.env;
    const { serveCommand } = await import('./commands/serve-command.js');
    await serveCommand(
      {
        spec: specPath(a, env),
        format: outputFormat(a, env, 'rspecish'),
        formatOptions: formatOptions(a, env),
        listenAddr: a.listenAddr ?? env.GOSS_LISTEN ?? ':8080',
        endpoint: a.endpoint ?? env.GOSS_ENDPOINT ?? '/healthz',
        cacheMs: durationFlag('cache', a.cache ?? env.GOSS_CACHE) ?? 5000,
        maxConcurrent: maxConcurrent(a, env),
        timeoutMs: durationFlag('timeout', a.timeout),
        vars: varsFiles(a, env),
        varsInline: varsInline(a, env),
        packageManager: packageManager(a),
      },
      ctx,
    );
    return undefined;
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
        .command(bind(renderSpec))
        .command(bind(serveSpec))
        .command(bind(rebootRequestSpec))
        .command(bind(listSpec(registry, once)))
        .command(bind(versionSpec)),
  };
}
