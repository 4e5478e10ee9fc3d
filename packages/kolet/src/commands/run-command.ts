import { Writable } from 'node:stream';
import type { CommandContext } from '@mantle/core/cli';
import { isSea } from '../sea.js';
import { loadNativeModule } from '../native/load-module.js';
import {
  KOLET_EXIT,
  REBOOT_MARK_ENV,
  AUTOPKGTEST_REBOOT_MARK_ENV,
  REBOOT_REQUEST_PREFIX,
} from '../native/protocol.js';
import type { KoletRunOutcome } from '../native/protocol.js';
import type { NativeRegistry } from '../native/registry.js';
import { runNativeFunction, type NativeRunResult } from '../native/run-native.js';

export interface RunNativeCommandOptions {
  test: string;
  func: string;
  modules: string[];
  rebootMark: string | undefined;
  timeoutMs: number | undefined;
  registry: NativeRegistry;
}

/**
 * `kolet run --json`'s result: kola's reading of a run (KoletRunOutcome without its `error`
 * case, which is an error on stderr) with the test and function named. `stdout` is what the
 * function printed (its return value), `message` the failure or skip reason, `mark` the reboot
 * mark.
 */
export type KoletRunJson = { test: string; func: string } & Exclude<KoletRunOutcome, { status: 'error' }>;

/**
 * `kolet run TEST FUNC`: run a native function and exit 0 (pass), 1 (fail, message on stderr),
 * 77 (skip) or 78 (reboot requested: the last stdout line is `KOLET_REBOOT_REQUEST <mark>`).
 * With --json the function's output is collected and the result printed as one JSON object
 * instead (same exit codes).
 */
export async function runNativeCommand(
  opts: RunNativeCommandOptions,
  ctx: CommandContext,
): Promise<KoletRunJson> {
  for (const m of opts.modules) await loadNativeModule(m, opts.registry, { cwd: ctx.cwd, sea: isSea() });
  // Without --reboot-mark, a mark in the environment (autopkgtest style) counts.
  const rebootMark =
    opts.rebootMark ?? (ctx.env[REBOOT_MARK_ENV] || ctx.env[AUTOPKGTEST_REBOOT_MARK_ENV] || undefined);
  let printed = '';
  const collect = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      printed += chunk.toString();
      done();
    },
  });
  const result = await runNativeFunction({
    registry: opts.registry,
    test: opts.test,
    func: opts.func,
    rebootMark,
    // --json: stdout carries only the JSON result, the function's output goes into it.
    stdout: ctx.json ? collect : ctx.stdout,
    stderr: ctx.stderr,
    signal: ctx.signal,
    timeoutMs: opts.timeoutMs,
  });
  const name = `${opts.test}/${opts.func}`;
  switch (result.status) {
    case 'pass':
      ctx.setExitCode(KOLET_EXIT.pass);
      break;
    case 'fail':
      // Stopped by Ctrl-C or a reader that left (`| head`): the entry point says so, or stays
      // quiet as `ls | head` does; the function's own complaint about it is noise.
      if (ctx.signal.aborted) break;
      ctx.stderr.write(`FAIL: ${name}: ${result.message}\n`);
      if (result.stack && ctx.logger.level !== 'info') ctx.stderr.write(`${result.stack}\n`);
      ctx.setExitCode(KOLET_EXIT.fail);
      break;
    case 'skip':
      ctx.stderr.write(`SKIP: ${result.reason}\n`);
      ctx.setExitCode(KOLET_EXIT.skip);
      break;
    case 'reboot':
      ctx.stderr.write(`kolet: ${name} asked for a reboot (mark ${result.mark})\n`);
      if (!ctx.json) ctx.stdout.write(`${REBOOT_REQUEST_PREFIX}${result.mark}\n`);
      ctx.setExitCode(KOLET_EXIT.reboot);
      break;
  }
  return runJson(opts, result, printed);
}

function runJson(opts: RunNativeCommandOptions, r: NativeRunResult, stdout: string): KoletRunJson {
  const id = { test: opts.test, func: opts.func };
  switch (r.status) {
    case 'pass':
      return { ...id, status: 'pass', stdout };
    case 'fail':
      return { ...id, status: 'fail', stdout, message: r.message };
    case 'skip':
      return { ...id, status: 'skip', stdout, message: r.reason };
    case 'reboot':
      return { ...id, status: 'reboot', stdout, mark: r.mark };
  }
}
