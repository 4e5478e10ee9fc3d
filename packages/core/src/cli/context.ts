import type { Logger } from '../log/logger.js';
import { writeTo } from './closed-output.js';

/** Process state injected into every command, so commands run in-process in tests. */
export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  logger: Logger;
  /** true when --json was given: data goes to stdout as JSON */
  json: boolean;
  /** aborted on SIGINT/SIGTERM */
  signal: AbortSignal;
  /** ask the entry point to exit with this code (e.g. 1 when tests failed) */
  setExitCode(code: number): void;
}

/** Write a line of data to stdout (dropped once the reader went away: `| head`). */
export function writeOut(ctx: Pick<CommandContext, 'stdout'>, text: string): void {
  writeTo(ctx.stdout, text.endsWith('\n') ? text : text + '\n');
}

/** Write data as pretty JSON to stdout (dropped once the reader went away). */
export function writeJson(ctx: Pick<CommandContext, 'stdout'>, data: unknown): void {
  writeTo(ctx.stdout, JSON.stringify(data, null, 2) + '\n');
}
