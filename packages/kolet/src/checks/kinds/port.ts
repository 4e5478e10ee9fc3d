import type { CheckContext } from '../context.js';
import { expectEqual, expectSameSet, type Outcome } from '../outcome.js';
import type { PortProps } from '../types.js';

/**
 * Check a local port `tcp:22`, `tcp6:22`, `udp:53` or `udp6:53`: listening, ip (the local
 * addresses, as a set). As in goss, `tcp` looks at IPv4 sockets and `tcp6` at IPv6 ones (a
 * dual-stack `::` listener is a tcp6 one).
 */
export async function checkPort(id: string, props: PortProps, ctx: CheckContext): Promise<Outcome[]> {
  const [proto, portText] = id.split(':');
  const port = Number(portText);
  const mine = (await ctx.listeners()).filter((l) => l.proto === proto && l.port === port);
  const out: Outcome[] = [];
  if (props.listening !== undefined) out.push(expectEqual('listening', props.listening, mine.length > 0));
  if (props.ip !== undefined) out.push(expectSameSet('ip', props.ip, [...new Set(mine.map((l) => l.ip))]));
  return out;
}
