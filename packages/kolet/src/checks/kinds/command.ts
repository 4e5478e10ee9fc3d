import type { CheckContext } from '../context.js';
import { expectEqual, expectPatterns, failed, type Outcome } from '../outcome.js';
import { runCapture } from '../system/spawn-capture.js';
import type { CommandProps } from '../types.js';

/** Default time a command may run, as goss. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/**
 * Run the spec's command line with `/bin/sh -c` (the command string is the spec author's own
 * shell code, which is the documented meaning of `exec`) and check exit-status, stdout, stderr.
 */
export async function checkCommand(id: string, props: CommandProps, ctx: CheckContext): Promise<Outcome[]> {
  const line = props.exec ?? id;
  const timeoutMs = props.timeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const r = await runCapture(['/bin/sh', '-c', line], { env: ctx.env, timeoutMs, signal: ctx.signal });
  const wanted: [string, unknown][] = [
    ['exit-status', props['exit-status']],
    ['stdout', props.stdout?.map((p) => p.source)],
    ['stderr', props.stderr?.map((p) => p.source)],
  ];
  if (r.timedOut || ctx.signal.aborted) {
    const why = r.timedOut ? `timed out after ${timeoutMs / 1000}s` : 'stopped: the check run timed out';
    return wanted.filter(([, v]) => v !== undefined).map(([k, v]) => failed(k, v, null, why));
  }
  const out: Outcome[] = [];
  if (props['exit-status'] !== undefined) {
    const o = expectEqual('exit-status', props['exit-status'], r.exitCode);
    const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
    out.push(o.status === 'fail' && tail ? { ...o, message: `${o.message} (stderr: ${tail})` } : o);
  }
  if (props.stdout) out.push(expectPatterns('stdout', props.stdout, r.stdout));
  if (props.stderr) out.push(expectPatterns('stderr', props.stderr, r.stderr));
  return out;
}
