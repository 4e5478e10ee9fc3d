import type { CheckContext } from '../context.js';
import { nilSlice } from '../go/go-format.js';
import type { PortProps } from '../types.js';
import type { ResourceRun } from '../validate-value.js';

/** `22` means `tcp:22`, as in goss. */
function normalizePort(port: string): string {
  return port.includes(':') ? port : `tcp:${port}`;
}

/**
 * A local port `tcp:22`, `tcp6:22`, `udp:53` or `udp6:53`: listening, then ip (every local
 * address of a socket on it). As in goss, `tcp` looks at IPv4 sockets and `tcp6` at IPv6
 * ones (a dual-stack `::` listener is a tcp6 one); tcp sockets count when listening, udp
 * sockets always.
 */
export async function checkPort(
  run: ResourceRun,
  id: string,
  props: PortProps,
  ctx: CheckContext,
): Promise<void> {
  const [proto, portText] = normalizePort(props.port ?? id).split(':') as [string, string];
  const mine = async () =>
    (await ctx.listeners()).filter((l) => l.proto === proto && String(l.port) === portText);
  await run.check('listening', props.listening, async () => (await mine()).length > 0);
  run.gateOnFirst();
  if (props.ip != null)
    await run.check('ip', props.ip, async () => {
      const ips = (await mine()).map((l) => l.ip);
      return ips.length > 0 ? ips : nilSlice();
    });
}
