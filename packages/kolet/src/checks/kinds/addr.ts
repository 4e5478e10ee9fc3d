import { connect } from 'node:net';
import type { CheckContext } from '../context.js';
import { expectEqual, type Outcome } from '../outcome.js';
import { parseAddrId } from '../spec-schema.js';
import type { AddrProps } from '../types.js';

export const DEFAULT_ADDR_TIMEOUT_MS = 1000;

/** Check whether a TCP connection to `tcp://host:port` can be opened. */
export async function checkAddr(id: string, props: AddrProps, ctx: CheckContext): Promise<Outcome[]> {
  if (props.reachable === undefined) return [];
  const target = parseAddrId(id);
  if (!target) return [];
  const timeoutMs = props.timeout ?? DEFAULT_ADDR_TIMEOUT_MS;
  const error = await new Promise<string | undefined>((done) => {
    const sock = connect({ host: target.host, port: target.port });
    const finish = (why: string | undefined): void => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      sock.destroy();
      done(why);
    };
    const timer = setTimeout(() => finish(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = (): void => finish('stopped: the check run timed out');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => finish(undefined));
    sock.once('error', (e) => finish(e.message));
  });
  const o = expectEqual('reachable', props.reachable, error === undefined);
  return [o.status === 'fail' && error ? { ...o, message: `${o.message} (${error})` } : o];
}
