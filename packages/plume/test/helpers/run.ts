// Runs the plume CLI in-process with captured stdout/stderr, as the bin would.
import { PassThrough } from 'node:stream';
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
