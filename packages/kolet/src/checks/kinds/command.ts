import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckContext } from '../context.js';
import { runCapture, type CaptureResult } from '../system/spawn-capture.js';
import type { CommandProps } from '../types.js';
import { SystemError, isSet, type ResourceRun } from '../validate-value.js';
import { deprecateAtoI } from './common.js';

/** goss's default: 10 s for a command. */
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/** Output kept per stream (goss keeps all; a runaway command should not exhaust memory). */
const MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * Run the spec's command line with `sh -c` (the command string is the spec author's own shell
 * code, which is the documented meaning of `exec`) and check exit-status, stdout, stderr. A
 * command still running at its timeout is killed with its process group and every attribute
 * fails with goss's "Command execution timed out". With retry_count, the command runs again
 * (after retry_delay) until all its attributes pass.
 */
export async function checkCommand(
  run: ResourceRun,
  id: string,
  props: CommandProps,
  ctx: CheckContext,
): Promise<void> {
  const line = props.exec ?? id;
  const timeoutMs = props.timeout && props.timeout > 0 ? props.timeout : DEFAULT_COMMAND_TIMEOUT_MS;
  const exitStatus = deprecateAtoI(props['exit-status'], `${id}: command.exit-status`, ctx);
  const attempts = Math.max(0, props.retry_count ?? 0) + 1;
  for (let attempt = 1; ; attempt++) {
    run.results.length = 0;
    let result: Promise<CaptureResult> | undefined;
    const execute = async (): Promise<CaptureResult> => {
      const r = await (result ??= runCapture(['/bin/sh', '-c', line], {
        env: ctx.env,
        cwd: ctx.cwd,
        timeoutMs,
        signal: ctx.signal,
        maxBytes: MAX_OUTPUT,
      }));
      if (r.timedOut) throw new SystemError(`Command execution timed out (${formatGoDuration(timeoutMs)})`);
      if (ctx.signal.aborted) throw new SystemError('stopped: the check run timed out');
      return r;
    };
    await run.check('exit-status', exitStatus, async () => (await execute()).exitCode);
    if (isSet(props.stdout))
      await run.check('stdout', props.stdout, async () => (await execute()).stdout, { reader: true });
    if (isSet(props.stderr))
      await run.check('stderr', props.stderr, async () => (await execute()).stderr, { reader: true });
    if (attempt >= attempts || run.results.every((r) => r.status !== 'fail') || ctx.signal.aborted) return;
    const delay = props.retry_delay && props.retry_delay > 0 ? props.retry_delay : 1000;
    await sleep(delay, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

/** Go's time.Duration String for whole milliseconds: 10s, 1.5s, 500ms, 2m0s. */
function formatGoDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const totalS = ms / 1000;
  if (totalS < 60) return `${trimZeros(totalS)}s`;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return `${h > 0 ? `${h}h` : ''}${m}m${trimZeros(s)}s`;
}

function trimZeros(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '');
}
