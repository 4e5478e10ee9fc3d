import type { CheckContext } from '../context.js';
import { expectEqual, type Outcome } from '../outcome.js';
import { processMatches } from '../system/processes.js';
import type { ProcessProps } from '../types.js';

/** Check whether a process with this name runs (its comm or argv[0] basename, from /proc). */
export async function checkProcess(id: string, props: ProcessProps, ctx: CheckContext): Promise<Outcome[]> {
  if (props.running === undefined) return [];
  // The checking kolet itself is not the process being asked about.
  const running = (await ctx.processes()).some((p) => p.pid !== process.pid && processMatches(p, id));
  return [expectEqual('running', props.running, running)];
}
