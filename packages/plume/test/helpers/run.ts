// Runs the plume CLI in-process with captured stdout/stderr, as the bin would.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runMain } from '@mantle/core/cli';
import { cli } from '../../src/cli.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `plume ARGV...` in this process; env defaults to process.env. */
export async function runPlume(
  argv: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runMain(cli, {
    argv,
    stdout,
    stderr,
    handleSignals: false,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: opts.env ?? process.env,
  });
  return { code, stdout: out, stderr: err };
}

/** The built bin (dist/cli.js) as its own process, so a SIGKILL hook kills plume and not the test. */
export const PLUME_BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Run the built bin with `argv` and `env`; its exit code or signal, its stdout and its stderr. */
export function spawnPlume(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PLUME_BIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** What `plume prune --json` prints. */
export interface PrunePlan {
  dryRun: boolean;
  kept: Record<string, string[]>;
  skipped: string[];
  targets: { board: string; version: string; kind: string; id: string; where: string }[];
}

/** The result of a `plume prune --json` that must have succeeded. */
export function prunePlan(r: { code: number | null; stdout: string; stderr: string }): PrunePlan {
  if (r.code !== 0) throw new Error(`plume prune exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PrunePlan;
}
