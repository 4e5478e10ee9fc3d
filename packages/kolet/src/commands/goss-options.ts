// The flags kolet shares with goss's validate, serve and render, with goss's environment
// variables as defaults (GOSS_FILE, GOSS_VARS, GOSS_VARS_INLINE, GOSS_FMT, GOSS_FMT_OPTIONS,
// GOSS_SLEEP, GOSS_RETRY_TIMEOUT, GOSS_MAX_CONCURRENT, GOSS_LISTEN, GOSS_ENDPOINT, GOSS_CACHE),
// so a goss command line runs unchanged with kolet in goss's place.
import type { Argv } from 'yargs';
import { UsageError } from '@mantle/core/errors';
import { colourEnabled } from '@mantle/core/log';
import { PACKAGE_MANAGERS, type PackageManager } from '../checks/context.js';
import { MAX_TIMER_MS } from '@mantle/core/time';
import { parseDurationMs } from '../checks/duration.js';
import { CHECK_FORMATS, FORMAT_OPTIONS, type CheckFormat } from '../checks/format/format-report.js';

export interface GossArgs {
  spec?: string;
  gossfile?: string;
  vars?: string[];
  varsInline?: string;
  package?: string;
}

export interface FormatArgs {
  format?: string;
  formatOptions?: string[];
  maxConcurrent?: number;
}

/** The spec, vars and package flags every goss command has. */
export function gossFlags<T>(y: Argv<T>): Argv<T & GossArgs> {
  return y
    .positional('spec', {
      type: 'string',
      describe: 'the spec file, or - for stdin (default: --gossfile, $GOSS_FILE, ./goss.yaml)',
    })
    .option('gossfile', { alias: 'g', type: 'string', describe: "the spec file, as goss's -g" })
    .option('vars', {
      type: 'string',
      array: true,
      nargs: 1,
      describe:
        'YAML or JSON file of template variables ({{ .Vars.name }}); repeatable, later files override ($GOSS_VARS)',
    })
    .option('vars-inline', {
      type: 'string',
      describe: 'YAML or JSON variables over those of --vars, e.g. \'{"name": "value"}\' ($GOSS_VARS_INLINE)',
    })
    .option('package', {
      choices: [...PACKAGE_MANAGERS, 'deb'],
      describe: 'the package manager for package checks (default: detected as goss detects it)',
    });
}

/** --format, --format-options and --max-concurrent (validate and serve). */
export function formatFlags<T>(y: Argv<T>, defaultFormat: CheckFormat): Argv<T & FormatArgs> {
  return y
    .option('format', {
      alias: 'f',
      choices: CHECK_FORMATS,
      describe: `output format (default ${defaultFormat}, or $GOSS_FMT)`,
    })
    .option('format-options', {
      alias: 'o',
      type: 'string',
      array: true,
      nargs: 1,
      describe: `format options: ${FORMAT_OPTIONS.join(', ')} (repeatable; $GOSS_FMT_OPTIONS)`,
    })
    .option('max-concurrent', {
      type: 'number',
      describe: 'resources checked at once (default 50, at most 5 per CPU; $GOSS_MAX_CONCURRENT)',
    });
}

/** The spec path: the positional, -g, $GOSS_FILE, or ./goss.yaml (goss's default). */
export function specPath(a: GossArgs, env: NodeJS.ProcessEnv): string {
  // yargs hands a lone '-' (stdin) over as ''.
  const given = a.spec ?? a.gossfile ?? env.GOSS_FILE ?? './goss.yaml';
  return given === '' ? '-' : given;
}

export function varsFiles(a: GossArgs, env: NodeJS.ProcessEnv): string[] {
  if (a.vars && a.vars.length > 0) return a.vars;
  return env.GOSS_VARS ? [env.GOSS_VARS] : [];
}

export function varsInline(a: GossArgs, env: NodeJS.ProcessEnv): string | undefined {
  if (Array.isArray(a.varsInline))
    throw new UsageError({
      code: 'BAD_VARS',
      message: `--vars-inline was given ${(a.varsInline as string[]).length} times; give it once`,
      hint: 'one --vars-inline with every value that overrides the --vars files',
    });
  return a.varsInline ?? env.GOSS_VARS_INLINE;
}

export function packageManager(a: GossArgs): PackageManager | undefined {
  if (a.package === undefined) return undefined;
  return a.package === 'deb' ? 'dpkg' : (a.package as PackageManager);
}

export function outputFormat(a: FormatArgs, env: NodeJS.ProcessEnv, fallback: CheckFormat): CheckFormat {
  const f = a.format ?? env.GOSS_FMT ?? fallback;
  if (!(CHECK_FORMATS as readonly string[]).includes(f))
    throw new UsageError({
      code: 'BAD_FORMAT',
      message: `format ${f}: expected one of ${CHECK_FORMATS.join(', ')}`,
      hint: 'e.g. --format documentation',
    });
  return f as CheckFormat;
}

export function formatOptions(a: FormatArgs, env: NodeJS.ProcessEnv): string[] {
  const opts =
    a.formatOptions && a.formatOptions.length > 0
      ? a.formatOptions
      : (env.GOSS_FMT_OPTIONS?.split(/[\s,]+/).filter(Boolean) ?? []);
  for (const o of opts)
    if (!(FORMAT_OPTIONS as readonly string[]).includes(o))
      throw new UsageError({
        code: 'BAD_FORMAT_OPTION',
        message: `--format-options ${o}: expected one of ${FORMAT_OPTIONS.join(', ')}`,
        hint: 'e.g. -o pretty for indented JSON, -o perfdata -o verbose for nagios',
      });
  return opts;
}

export function maxConcurrent(a: FormatArgs, env: NodeJS.ProcessEnv): number {
  const n = a.maxConcurrent ?? (env.GOSS_MAX_CONCURRENT ? Number(env.GOSS_MAX_CONCURRENT) : 50);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError({
      code: 'BAD_CONCURRENCY',
      message: `--max-concurrent ${String(n)}: expected a whole number of at least 1`,
      hint: 'e.g. --max-concurrent 8',
    });
  return n;
}

/**
 * A duration flag (goss takes Go durations such as 10s, 1m30s; kolet also bare milliseconds),
 * at most 24h; `positive` refuses 0 (a timeout of nothing).
 */
export function durationFlag(
  flag: string,
  value: string | undefined,
  opts: { positive?: boolean } = {},
): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms < 0 || (opts.positive && ms === 0) || ms > MAX_TIMER_MS)
    throw new UsageError({
      code: 'BAD_DURATION',
      message: `--${flag} ${value}: ${ms !== undefined && ms > 0 ? 'longer than the maximum of 24h' : 'not a duration'}`,
      hint: 'give a duration such as 30s, 1m30s or 500ms (or milliseconds; at most 24h)',
    });
  return ms;
}

/** Colour: --color / --no-color, else when stdout is a terminal and NO_COLOR is unset. */
export function useColor(
  color: boolean | undefined,
  stdout: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv,
): boolean {
  if (color !== undefined) return color;
  if (env.GOSS_COLOR !== undefined && env.GOSS_COLOR !== '')
    return env.GOSS_COLOR !== 'false' && env.GOSS_COLOR !== '0';
  return colourEnabled(stdout, env);
}
