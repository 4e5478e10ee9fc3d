import type { CheckContext } from '../context.js';
import type { ProcessProps } from '../types.js';
import type { ResourceRun } from '../validate-value.js';

/**
 * Whether a process of that executable runs: its name as the kernel keeps it (/proc/PID/comm,
 * at most 15 characters), which is what goss compares.
 */
export async function checkProcess(
  run: ResourceRun,
  id: string,
  props: ProcessProps,
  ctx: CheckContext,
): Promise<void> {
  const comm = props.comm ?? id;
  await run.check('running', props.running, async () => (await ctx.processes()).some((p) => p.comm === comm));
}
