import type { Logger } from '../log/logger.js';

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

/** Write a line of data to stdout. */
export function writeOut(ctx: Pick<CommandContext, 'stdout'>, text: string): void {
  ctx.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** Write data as pretty JSON to stdout. */
export function writeJson(ctx: Pick<CommandContext, 'stdout'>, data: unknown): void {
  ctx.stdout.write(JSON.stringify(data, null, 2) + '\n');
}
