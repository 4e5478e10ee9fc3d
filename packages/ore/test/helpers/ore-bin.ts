// Run the built `ore` bin (packages/ore/dist/cli.js) the way users do, and read its --json errors.
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { run } from '@mantle/core/exec';

export const ORE_BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface OreRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Fail early with the build command when dist/ is missing. */
export async function requireOreBuild(): Promise<void> {
  await access(ORE_BIN).catch(() => {
    throw new Error(`${ORE_BIN} is missing: run pnpm --filter @mantle/core --filter @mantle/ore build first`);
  });
}

/** `ore ARGS` in `cwd`, never rejecting. */
export async function runOre(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<OreRun> {
  return run(process.execPath, [ORE_BIN, ...args], {
    cwd,
    reject: false,
    timeoutMs: opts.timeoutMs ?? 240_000,
    ...(opts.env ? { env: opts.env } : {}),
  });
}

/** The last stderr line of a --json run, parsed as the error object. */
export function jsonError(stderr: string): { code: string; message: string; hint?: string } {
  return JSON.parse(stderr.trim().split('\n').pop()!) as { code: string; message: string; hint?: string };
}
