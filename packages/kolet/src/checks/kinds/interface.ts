import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckContext } from '../context.js';
import { expectContainsAll, expectEqual, failed, gateOnExists, type Outcome } from '../outcome.js';
import type { InterfaceProps } from '../types.js';

/**
 * Check a network interface: exists and mtu from /sys/class/net/NAME (no tool needed), addrs
 * (all listed present, as goss) from `ip addr show` (see system/ip-addr.ts for why).
 */
export async function checkInterface(
  id: string,
  props: InterfaceProps,
  ctx: CheckContext,
): Promise<Outcome[]> {
  const dir = join(ctx.paths.sysClassNet, id);
  let exists: boolean;
  try {
    // a directory (behind a symlink): /sys/class/net also holds files such as bonding_masters
    exists = (await stat(dir)).isDirectory();
  } catch (err) {
    if (!['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    exists = false;
  }
  return gateOnExists(
    props,
    exists,
    'interface',
    async () => {
      const out: Outcome[] = [];
      if (props.addrs !== undefined) {
        const r = await ctx.interfaceAddrs();
        out.push(
          'unsupported' in r
            ? failed('addrs', props.addrs, null, `unsupported: ${r.unsupported}`)
            : expectContainsAll('addrs', props.addrs, r.addrs.get(id) ?? []),
        );
      }
      if (props.mtu !== undefined) {
        const mtu = Number((await readFile(join(dir, 'mtu'), 'utf8')).trim());
        out.push(expectEqual('mtu', props.mtu, mtu));
      }
      return out;
    },
    { addrs: props.addrs, mtu: props.mtu },
  );
}
