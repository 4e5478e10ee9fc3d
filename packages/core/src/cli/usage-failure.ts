import { UsageError } from '../errors/mantle-error.js';

/**
 * yargs says "Not enough non-option arguments: got 0, need at least 1" and points nowhere. A
 * person wants the argument named and the help of the command they typed. yargs' usage instance
 * (the third argument of its fail callback) knows the command that was being parsed, as
 * "$0 image info <file>": that gives both.
 */
export interface UsageLike {
  getUsage(): [string, string][];
}

/** The command the user typed, e.g. `ore image info`, and its usage line (`ore image info <file>`). */
export function commandOf(tool: string, usage: UsageLike | undefined): { path: string; line: string } {
  const first = usage?.getUsage()[0]?.[0];
  if (!first?.startsWith('$0 ') || first.startsWith('$0 —')) return { path: tool, line: `${tool} <command>` };
  const words = first.slice(3).split(/\s+/);
  const cmd = words.filter((w, i) => !/^[<[]/.test(w) && words.slice(0, i).every((p) => !/^[<[]/.test(p)));
  return { path: [tool, ...cmd].join(' '), line: [tool, ...words].join(' ') };
}

const NOT_ENOUGH = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/;

/** The UsageError for a yargs failure message, naming missing positionals and the command's help. */
export function usageFailure(tool: string, msg: string, usage: UsageLike | undefined): UsageError {
  const { path, line } = commandOf(tool, usage);
  const hint = `run '${path} --help' for usage`;
  const m = NOT_ENOUGH.exec(msg);
  if (m) {
    const required = line.split(/\s+/).filter((w) => w.startsWith('<'));
    const missing = required.slice(Number(m[1]));
    if (missing.length > 0) {
      return new UsageError({
        code: 'MISSING_ARGUMENT',
        message: `${path}: missing ${missing.join(' ')} (usage: ${line})`,
        hint,
        details: { missing: missing.map((w) => w.replace(/[<>.]/g, '')) },
      });
    }
  }
  return new UsageError({ code: 'BAD_USAGE', message: msg, hint });
}

/**
 * `--size -5G` hands yargs `-5G`, which it reads as the flags -5 and -G. No mantle option is a
 * digit, so a value that starts with `-` and a digit after a long flag is that flag's value
 * (`--size=-5G`): the command then refuses it by name, or uses it (a negative offset).
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (/^--[A-Za-z][\w-]*$/.test(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
