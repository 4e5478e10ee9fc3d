import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode } from '@mantle/core/errors';
import { writeOut, type CommandContext } from '@mantle/core/cli';
import { checkConsole, formatConsoleMatch, type ConsoleMatch } from '../console/check-console.js';
import type { TestFlag } from '../registry/flags.js';

export interface CheckConsoleCommandOptions {
  files: readonly string[];
  /** test flags turning checks off, e.g. no-kernel-panic-check */
  skipFlags?: readonly TestFlag[];
}

interface CheckConsoleFileResult {
  file: string;
  matches: ConsoleMatch[];
  /** set when the file could not be read */
  error?: string;
}

export interface CheckConsoleResult {
  files: CheckConsoleFileResult[];
  /** true when any file had a match */
  matched: boolean;
}

/**
 * `kola check-console FILE...`: run the console checks over saved console logs. Exit 1 when
 * anything matched, 0 when clean, 2 when a file could not be read (the others are still checked).
 */
export async function checkConsoleCommand(
  opts: CheckConsoleCommandOptions,
  ctx: Pick<CommandContext, 'cwd' | 'stderr' | 'setExitCode'>,
): Promise<CheckConsoleResult> {
  const files: CheckConsoleFileResult[] = [];
  for (const file of opts.files) {
    try {
      const text = await readFile(resolve(ctx.cwd, file), 'utf8');
      files.push({ file, matches: checkConsole(text, { skipFlags: opts.skipFlags ?? [] }) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(err);
      files.push({ file, matches: [], error: why });
      ctx.stderr.write(`error: ${file}: ${why}\n`);
    }
  }
  const matched = files.some((f) => f.matches.length > 0);
  if (files.some((f) => f.error)) ctx.setExitCode(ExitCode.Usage);
  else if (matched) ctx.setExitCode(ExitCode.Failure);
  return { files, matched };
}

/** Print matches as `FILE:LINE: <desc>: <line>`. */
export function printCheckConsole(result: CheckConsoleResult, ctx: Pick<CommandContext, 'stdout'>): void {
  for (const f of result.files) for (const m of f.matches) writeOut(ctx, formatConsoleMatch(f.file, m));
}
