import { access } from 'node:fs/promises';
import type { CheckContext } from '../context.js';
import { nilSlice } from '../go/go-format.js';
import { globPaths } from '../system/glob.js';
import { runCapture, TOOL_TIMEOUT_MS } from '../system/spawn-capture.js';
import type { ServiceProps } from '../types.js';
import type { ResourceRun } from '../validate-value.js';

type ServiceManager = { kind: 'systemd'; systemctl: string } | { kind: 'init'; alpine: boolean };

/**
 * A service: enabled, running, runlevels. As goss: with `systemctl` on PATH, `systemctl -q
 * is-enabled` / `is-active` (exit 0 means true) and no runlevels; otherwise SysV init
 * (enabled when /etc/rc?.d/S??NAME links exist, running when `service NAME status` exits 0;
 * on Alpine /etc/runlevels/*\/NAME).
 */
export async function checkService(
  run: ResourceRun,
  id: string,
  props: ServiceProps,
  ctx: CheckContext,
): Promise<void> {
  const name = props.name ?? id;
  const manager = await ctx.memo('service-manager', () => detectServiceManager(ctx));
  // goss: a name with a slash is no service.
  const valid = !name.includes('/');
  if (props.enabled != null)
    await run.check('enabled', props.enabled, async () => {
      if (!valid) return false;
      if (manager.kind === 'systemd')
        return (await systemctl(ctx, manager.systemctl, 'is-enabled', name)) === 0;
      return (await runLevels(name, manager.alpine)).length > 0;
    });
  if (props.running != null)
    await run.check('running', props.running, async () => {
      if (!valid) return false;
      if (manager.kind === 'systemd')
        return (await systemctl(ctx, manager.systemctl, 'is-active', name)) === 0;
      const service = await ctx.tool('service');
      if (!service) return false;
      const r = await runCapture([service, name, 'status'], {
        env: ctx.env,
        timeoutMs: TOOL_TIMEOUT_MS,
        signal: ctx.signal,
      });
      return r.exitCode === 0;
    });
  if (props.runlevels != null)
    await run.check('runlevels', props.runlevels, async () => {
      // goss's value is a nil slice without init scripts: empty to matchers, null in JSON
      if (!valid || manager.kind === 'systemd') return nilSlice();
      const levels = await runLevels(name, manager.alpine);
      return levels.length > 0 ? levels : nilSlice();
    });
}

async function detectServiceManager(ctx: CheckContext): Promise<ServiceManager> {
  const systemctl = await ctx.tool('systemctl');
  if (systemctl) return { kind: 'systemd', systemctl };
  const alpine = await access('/etc/alpine-release').then(
    () => true,
    () => false,
  );
  return { kind: 'init', alpine };
}

async function systemctl(ctx: CheckContext, tool: string, verb: string, name: string): Promise<number> {
  const r = await runCapture([tool, '-q', verb, name], {
    env: ctx.env,
    timeoutMs: TOOL_TIMEOUT_MS,
    signal: ctx.signal,
  });
  return r.exitCode;
}

async function runLevels(name: string, alpine: boolean): Promise<string[]> {
  const esc = name.replace(/[*?[\]\\]/g, '\\$&');
  if (alpine) {
    const found = await globPaths(`/etc/runlevels/*/${esc}`);
    return found.map((p) => /^\/etc\/runlevels\/([^/]+)/.exec(p)?.[1] ?? '').filter(Boolean);
  }
  const found = await globPaths(`/etc/rc*.d/S[0-9][0-9]${esc}`);
  return found.map((p) => /^\/etc\/rc([0-9]+)\.d\//.exec(p)?.[1] ?? '').filter(Boolean);
}
