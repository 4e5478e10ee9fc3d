import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckContext } from '../context.js';
import { expectEqual, failed, type Outcome } from '../outcome.js';
import type { KernelParamProps } from '../types.js';

/** The /proc/sys path of a sysctl name: dots separate levels unless the name uses slashes. */
export function sysctlPath(procRoot: string, name: string): string {
  return join(procRoot, 'sys', ...(name.includes('/') ? name.split('/') : name.split('.')));
}

/** Check a kernel parameter's value (runs of whitespace compare equal, as sysctl prints tabs). */
export async function checkKernelParam(
  id: string,
  props: KernelParamProps,
  ctx: CheckContext,
): Promise<Outcome[]> {
  if (props.value === undefined) return [];
  const norm = (s: string): string => s.trim().replace(/\s+/g, ' ');
  let found: string;
  try {
    found = await readFile(sysctlPath(ctx.paths.proc, id), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such kernel parameter' : `cannot read it: ${(err as Error).message}`;
    return [
      failed(
        'value',
        props.value,
        null,
        `doesn't match, expect: ${JSON.stringify(props.value)} found: (${why})`,
      ),
    ];
  }
  const o = expectEqual('value', norm(props.value), norm(found));
  return [{ ...o, expected: props.value }];
}
