import type { Argv, ArgumentsCamelCase, CommandModule } from 'yargs';
import { NotImplementedError } from '../errors/mantle-error.js';
import type { LogLevel } from '../log/logger.js';
import type { CommandContext } from './context.js';

/** The flags every mantle binary accepts, as yargs declares them (commands also see `logLevel`). */
export interface GlobalArgs {
  json: boolean;
  'log-level': LogLevel;
  verbose: boolean;
  debug: boolean;
}

/**
 * One command of a binary. `A` is what its yargs builder declares (GlobalArgs included), so the
 * arguments `run` receives are typed by the builder itself; `R` is what `run` returns, printed
 * as JSON with --json, else by `print`. Build one with `defineCommand`, which infers both.
 */
export interface CommandSpec<A extends GlobalArgs = GlobalArgs, R = unknown> {
  /** yargs command string, e.g. `info <file>` */
  command: string | readonly string[];
  describe: string;
  builder?: (y: Argv<GlobalArgs>) => Argv<A>;
  /** does the work and returns data; printed as JSON with --json, else via `print` */
  run: (args: ArgumentsCamelCase<A>, ctx: CommandContext) => Promise<R>;
  /** prints what `run` returned (never called when it returned undefined) */
  print?: (data: R, ctx: CommandContext) => void;
  /** the `Examples:` of its --help: what a user of the original tool would type ($0 is the tool) */
  examples: Examples;
}

/** `[command line, what it does]` pairs; `$0` stands for the tool's name. */
export type Examples = readonly (readonly [string, string])[];

/** Add an `Examples:` section to a command's (or a command group's) --help. */
export function withExamples<T>(y: Argv<T>, examples: Examples): Argv<T> {
  return examples.reduce((acc, [cmd, what]) => acc.example(cmd, what), y);
}

/**
 * A command whose `run` arguments are inferred from its `builder`: write the options once, in
 * yargs, and `run` sees `args.outputDir` as `string | undefined`, `args.force` as `boolean`, a
 * `choices` option as the union of its choices. No interface to keep in step, no casts.
 */
export function defineCommand<A extends GlobalArgs = GlobalArgs, R = unknown>(
  spec: CommandSpec<A, R>,
): CommandSpec<A, R> {
  return spec;
}

/** Turns a CommandSpec into a yargs command module bound to the current context. */
export type CommandBinder = <A extends GlobalArgs, R>(
  spec: CommandSpec<A, R>,
) => CommandModule<GlobalArgs, A>;

export interface CliSpec {
  name: string;
  version: string;
  description: string;
  /** registers the binary's commands; use `bind()` on `defineCommand()` / `notBuiltYet()` specs */
  commands: (y: Argv<GlobalArgs>, bind: CommandBinder) => Argv<GlobalArgs>;
  /** the `Examples:` of the tool's own --help */
  examples: Examples;
  /** more of what `version` and `--version` say: words after `NAME VERSION`, fields of `version --json` */
  versionInfo?: () => VersionExtra;
  /** true when the binary has no subcommands and the default command does the work */
  noSubcommandRequired?: boolean;
}

/** What a tool adds to `NAME VERSION` (kolet: `build ID`) and to `version --json`. */
export interface VersionExtra {
  suffix?: string;
  details?: Record<string, unknown>;
}

/** A command that is part of the CLI's surface but not built yet: says so and exits 2. */
export function notBuiltYet(
  command: string,
  describe: string,
  issue?: string,
): CommandSpec<GlobalArgs, never> {
  return {
    command,
    describe: `${describe} (not built yet)`,
    builder: (y) => y.strict(false),
    examples: [],
    run: () => Promise.reject(new NotImplementedError(command.split(' ')[0] ?? command, issue)),
  };
}
