import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckContext } from '../context.js';
import type { KernelParamProps } from '../types.js';
import type { ResourceRun } from '../validate-value.js';

/** The /proc/sys path of a sysctl name: dots separate levels unless the name uses slashes. */
function sysctlPath(procRoot: string, name: string): string {
  return join(procRoot, 'sys', ...(name.includes('/') ? name.split('/') : name.split('.')));
}

/** A kernel parameter's value: the /proc/sys file's text with surrounding white space trimmed. */
export async function checkKernelParam(
  run: ResourceRun,
  id: string,
  props: KernelParamProps,
  ctx: CheckContext,
): Promise<void> {
  const name = props.name ?? id;
  await run.check('value', props.value, async () =>
    (await readFile(sysctlPath(ctx.paths.proc, name), 'utf8')).trim(),
  );
}
