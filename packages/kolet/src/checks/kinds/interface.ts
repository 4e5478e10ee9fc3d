import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckContext } from '../context.js';
import { nilSlice } from '../go/go-format.js';
import type { InterfaceProps } from '../types.js';
import { SystemError, type ResourceRun } from '../validate-value.js';

/**
 * A network interface: exists and mtu from /sys/class/net/NAME (no tool needed), addrs
 * (`address/prefix`, as Go's net package prints them) from `ip addr show` (see
 * system/ip-addr.ts for why).
 */
export async function checkInterface(
  run: ResourceRun,
  id: string,
  props: InterfaceProps,
  ctx: CheckContext,
): Promise<void> {
  const name = props.name ?? id;
  const dir = join(ctx.paths.sysClassNet, name);
  await run.check('exists', props.exists, async () => {
    try {
      // a directory (behind a symlink): /sys/class/net also holds files such as bonding_masters
      return !name.includes('/') && (await stat(dir)).isDirectory();
    } catch (err) {
      if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return false;
      throw err;
    }
  });
  run.gateOnFirst();
  if (props.addrs != null)
    await run.check('addrs', props.addrs, async () => {
      const r = await ctx.interfaceAddrs();
      if ('unsupported' in r) throw new SystemError(`unsupported: ${r.unsupported}`);
      const addrs = r.addrs.get(name);
      return addrs && addrs.length > 0 ? addrs : nilSlice();
    });
  if (props.mtu != null)
    await run.check('mtu', props.mtu, async () => Number((await readFile(join(dir, 'mtu'), 'utf8')).trim()));
}
