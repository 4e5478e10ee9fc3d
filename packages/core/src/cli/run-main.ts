import Yargs, { type ArgumentsCamelCase, type Argv, type CommandModule } from 'yargs';
import { ExitCode } from '../errors/exit-codes.js';
import { MantleError, toMantleError } from '../errors/mantle-error.js';
import { createLogger, LOG_LEVELS, type LogLevel, type Logger } from '../log/logger.js';
import { painterFor } from '../log/colour.js';
import { redactText } from '../log/redact.js';
import { runCleanups } from './cleanup.js';
import { isReaderGone, outputError, unwatchOutput, watchOutput, writeTo } from './closed-output.js';
import {
  withExamples,
  type CliSpec,
  type CommandBinder,
  type CommandSpec,
  type GlobalArgs,
} from './command.js';
import { writeJson, writeOut, type CommandContext } from './context.js';
import { joinNegativeValues, usageFailure, type UsageLike } from './usage-failure.js';
import { errorMessage } from '../errors/message.js';
import { versionCommand, versionLine } from './version.js';

/** Injected process state; defaults to the real process. */
export interface MainIO {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** install SIGINT/SIGTERM handlers (the real bins do; in-process tests usually do not) */
  handleSignals?: boolean;
}

function levelFrom(args: Partial<ArgumentsCamelCase<GlobalArgs>>): LogLevel {
  if (args.debug) return 'trace';
  if (args.verbose) return 'debug';
  return args.logLevel ?? 'info';
}

/** Print an error the way every mantle binary does: message, hint, and a code. */
export function reportError(
  err: MantleError,
  ctx: {
    stderr: NodeJS.WritableStream;
    json: boolean;
    stdout: NodeJS.WritableStream;
    logger?: Logger;
    /** decides colour (FORCE_COLOR, NO_COLOR); default process.env */
    env?: NodeJS.ProcessEnv;
  },
): void {
  if (ctx.json) {
    // Errors in --json mode stay machine-readable but still go to stderr, keeping stdout data-only.
    writeTo(ctx.stderr, redactText(JSON.stringify(err.toJSON())) + '\n');
    return;
  }
  const colour = painterFor(ctx.stderr, ctx.env ?? process.env);
  writeTo(ctx.stderr, `${colour('red', 'error:')} ${redactText(err.message)}\n`);
  if (err.hint) writeTo(ctx.stderr, `${colour('yellow', 'hint:')} ${redactText(err.hint)}\n`);
  let cause: unknown = err.cause;
  let depth = 0;
  while (cause instanceof Error && depth < 3 && ctx.logger && ctx.logger.level !== 'info') {
    writeTo(ctx.stderr, `caused by: ${redactText(cause.message)}\n`);
    cause = cause.cause;
    depth++;
  }
}

/**
 * The entry point of every mantle binary: parses argv with yargs, runs the command, prints data
 * or the error, runs registered cleanups, and returns the exit code. Signals abort the running
 * command, run cleanups and exit 130.
 */
export async function runMain(spec: CliSpec, io: MainIO = {}): Promise<number> {
  const argv = joinNegativeValues(io.argv ?? process.argv.slice(2));
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const controller = new AbortController();
  const logger = createLogger({ stream: stderr, level: 'info' });
  let exitCode: number = ExitCode.Ok;
  let json = argv.includes('--json');
  // A reader that leaves while the command still works stops it (as SIGPIPE stops `ls`); one
  // that leaves while the data is printed changes nothing: the work was done.
  let working = false;
  let stoppedByStdout = false;
  watchOutput(stdout, (err) => {
    if (!working) return;
    stoppedByStdout = true;
    controller.abort(new Error(`stdout closed (${err.code ?? err.message})`));
  });
  watchOutput(stderr);

  const removeSignals = io.handleSignals === false ? () => {} : installSignalHandlers(controller, stderr);

  const bind: CommandBinder = <A extends GlobalArgs, R>(
    cmd: CommandSpec<A, R>,
  ): CommandModule<GlobalArgs, A> => ({
    command: cmd.command,
    describe: cmd.describe,
    builder: (y) => withExamples(cmd.builder ? cmd.builder(y) : (y as Argv<A>), cmd.examples),
    handler: async (args: ArgumentsCamelCase<A>) => {
      json = Boolean(args.json);
      logger.level = levelFrom(args);
      const ctx: CommandContext = {
        cwd,
        env,
        stdout,
        stderr,
        logger,
        json,
        signal: controller.signal,
        setExitCode: (code) => {
          exitCode = code;
        },
      };
      working = true;
      let data: R;
      try {
        data = await cmd.run(args, ctx);
      } finally {
        working = false;
      }
      if (data === undefined) return;
      if (json) writeJson(ctx, data);
      else if (cmd.print) cmd.print(data, ctx);
      else if (typeof data === 'string') writeOut(ctx, data);
      else writeJson(ctx, data);
    },
  });

  let y = Yargs()
    // A repeatable flag takes one value per occurrence (`--tag a --tag b`), as Go's pflag does in
    // the original tools: with yargs' greedy arrays `kola run -E DIR 'ext.*'` would swallow the glob.
    .parserConfiguration({ 'greedy-arrays': false })
    .scriptName(spec.name)
    .usage(`$0 — ${spec.description}\n\nUsage: $0 <command> [options]`)
    .version(versionLine(spec))
    .option('json', { type: 'boolean', default: false, describe: 'print data as JSON on stdout' })
    .option('log-level', {
      choices: LOG_LEVELS,
      default: 'info' as const,
      describe: 'how much to log on stderr',
    })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'log more (debug)' })
    .option('debug', { alias: 'd', type: 'boolean', default: false, describe: 'log everything (trace)' })
    // `<tool> completion >> ~/.bashrc` (bash; zsh when $SHELL is zsh): the script asks the tool
    // itself for completions, so commands and flags are always those of the installed version.
    .completion('completion', 'print a bash/zsh completion script (add it to ~/.bashrc or ~/.zshrc)')
    .help()
    .alias('h', 'help')
    .strict()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err, usage) => {
      if (err) throw err;
      throw usageFailure(spec.name, msg, usage as unknown as UsageLike);
    });
  y = withExamples(spec.commands(y, bind), spec.examples);
  if (!spec.noSubcommandRequired)
    y = y.command(bind(versionCommand(spec))).demandCommand(1, `${spec.name}: a command is required`);

  try {
    // The parse callback hands us help/version text instead of letting yargs print it with
    // console.log, so --help goes to the injected stdout (in-process tests, pipelines).
    let output = '';
    await y.parseAsync(argv, {}, (_err, _args, out) => {
      output = out;
    });
    if (output) writeOut({ stdout }, output);
    if (controller.signal.aborted && !stoppedByStdout) exitCode = ExitCode.Interrupted;
  } catch (err) {
    const merr = toMantleError(err);
    if (stoppedByStdout) {
      // Whatever the command threw while unwinding, the cause was the closed stdout (below).
    } else if (controller.signal.aborted) {
      // Whatever the command threw while unwinding, the cause was the signal.
      exitCode = ExitCode.Interrupted;
      stderr.write(`interrupted${merr.code === 'INTERRUPTED' ? '' : `: ${redactText(merr.message)}`}\n`);
    } else {
      exitCode = merr.exitCode;
      reportError(merr, { stderr, stdout, json, logger, env });
      if (merr.code === 'UNEXPECTED' && merr.cause instanceof Error && merr.cause.stack)
        logger.debug(merr.cause.stack);
    }
  } finally {
    await runCleanups((label, e) => logger.warn(`cleanup ${label} failed: ${errorMessage(e)}`));
    removeSignals();
    // A failed write reports its error on a later tick (after this chain of promises): let it
    // arrive, so `> /dev/full` is seen here.
    await new Promise((resolve) => setImmediate(resolve));
    unwatchOutput(stdout);
    unwatchOutput(stderr);
  }
  const failedWrite = outputError(stdout);
  if (!failedWrite) return exitCode;
  // Quiet, as `ls | head` is: a reader that left while the data was printed changes nothing (the
  // work was done); one that left while the command still worked stopped it, as SIGPIPE would.
  if (isReaderGone(failedWrite)) return stoppedByStdout ? ExitCode.ClosedPipe : exitCode;
  // `kola list > /dev/full`: the data did not arrive, so the command did not do its job.
  if (exitCode === ExitCode.Ok || stoppedByStdout) {
    writeTo(stderr, `error: cannot write to stdout: ${failedWrite.message}\n`);
    return ExitCode.Failure;
  }
  return exitCode;
}

function installSignalHandlers(controller: AbortController, stderr: NodeJS.WritableStream): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count > 1) {
      // A second Ctrl-C means "now": the user gave up waiting on cleanups.
      stderr.write(`${signal} again: exiting without waiting for cleanups\n`);
      process.exit(ExitCode.Interrupted);
    }
    stderr.write(`\n${signal}: stopping, cleaning up (press Ctrl-C again to exit at once)\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
    // The command sees the abort and unwinds; cleanups then run in runMain's finally. If the
    // command ignores the signal, run cleanups anyway and exit.
    setTimeout(() => {
      void runCleanups().finally(() => process.exit(ExitCode.Interrupted));
    }, 15_000).unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Run a CLI spec as the process entry point: sets process.exitCode. */
export async function main(spec: CliSpec): Promise<void> {
  const code = await runMain(spec, { handleSignals: true });
  process.exitCode = code;
}
