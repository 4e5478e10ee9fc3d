// `kola check`'s flags. Kept apart from the command's domain code (and from @mantle/kolet, whose
// check engine would load with it) so the CLI stays quick to start; a test keeps the format
// lists equal to kolet's.
import type { Argv } from 'yargs';

/** goss's output formats (kolet's CHECK_FORMATS). */
export const CHECK_FORMATS = [
  'documentation',
  'json',
  'junit',
  'nagios',
  'prometheus',
  'rspecish',
  'silent',
  'structured',
  'tap',
] as const;
/** goss's format options (kolet's FORMAT_OPTIONS). */
export const FORMAT_OPTIONS = ['exclude_raw', 'perfdata', 'pretty', 'sort', 'verbose'] as const;

export interface CheckArgs {
  format?: string;
  formatOptions?: string[];
  userdata?: string;
  vars?: string[];
  varsInline?: string;
  env?: string[];
  maxConcurrent?: number;
}

/** `kola check`'s own flags (the platform flags come from the CLI). */
export function checkFlags<T>(y: Argv<T>): Argv<T & CheckArgs> {
  return y
    .option('format', {
      alias: 'f',
      choices: CHECK_FORMATS,
      default: 'documentation',
      describe: 'report format (goss validate --format)',
    })
    .option('format-options', {
      alias: 'o',
      type: 'string',
      array: true,
      nargs: 1,
      describe: `goss format options: ${FORMAT_OPTIONS.join(', ')} (repeatable)`,
    })
    .option('userdata', { alias: 'u', type: 'string', describe: 'Butane or Ignition file for the machine' })
    .option('vars', {
      type: 'string',
      array: true,
      nargs: 1,
      describe: 'YAML or JSON file of template variables for the spec ({{ .Vars.x }}); repeatable',
    })
    .option('vars-inline', { type: 'string', describe: 'YAML or JSON variables over those of --vars' })
    .option('max-concurrent', {
      type: 'number',
      describe: 'how many checks run at once on the machine (goss validate --max-concurrent; default 50)',
    })
    .option('env', {
      alias: 'e',
      type: 'string',
      array: true,
      nargs: 1,
      describe: 'NAME=VALUE for the spec environment on the machine ({{ .Env.NAME }}); repeatable',
    });
}
