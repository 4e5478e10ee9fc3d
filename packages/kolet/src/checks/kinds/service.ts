import { access } from 'node:fs/promises';
import type { CheckContext } from '../context.js';
import { expectEqual, failed, type Outcome } from '../outcome.js';
import { runCapture } from '../system/spawn-capture.js';
import type { ServiceProps } from '../types.js';

/** Check a systemd unit: enabled (`systemctl is-enabled` exits 0), running (`systemctl is-active`). */
export async function checkService(id: string, props: ServiceProps, ctx: CheckContext): Promise<Outcome[]> {
  const wanted = (['enabled', 'running'] as const).filter((k) => props[k] !== undefined);
  const unsupported = await whyNoSystemd(ctx);
  if (unsupported) return wanted.map((k) => failed(k, props[k], null, `unsupported: ${unsupported}`));
  const systemctl = (await ctx.tool('systemctl')) as string;
  const out: Outcome[] = [];
  for (const k of wanted) {
    const verb = k === 'enabled' ? 'is-enabled' : 'is-active';
    const r = await runCapture([systemctl, verb, '--', id], {
      env: ctx.env,
      timeoutMs: 15_000,
      signal: ctx.signal,
    });
    const state = r.stdout.trim().split('\n')[0] || r.stderr.trim().split('\n')[0] || `exit ${r.exitCode}`;
    const o = expectEqual(k, props[k], r.exitCode === 0);
    // The unit's state word (enabled, static, masked, inactive, failed, ...) explains a mismatch.
    out.push(o.status === 'fail' ? { ...o, message: `${o.message} (systemctl ${verb}: ${state})` } : o);
  }
  return out;
}

/** Why services cannot be checked here, or undefined when systemd runs this machine. */
async function whyNoSystemd(ctx: CheckContext): Promise<string | undefined> {
  try {
    await access(ctx.paths.systemdRuntime);
  } catch {
    return `this machine does not run systemd (${ctx.paths.systemdRuntime} is missing)`;
  }
  if (!(await ctx.tool('systemctl'))) return 'systemctl is not installed';
  return undefined;
}
