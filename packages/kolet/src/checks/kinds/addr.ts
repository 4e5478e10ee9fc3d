import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { CheckContext } from '../context.js';
import { parseAddrId } from '../spec-schema.js';
import type { AddrProps } from '../types.js';
import type { ResourceRun } from '../validate-value.js';

/** goss's default: 500 ms to connect. */
const DEFAULT_ADDR_TIMEOUT_MS = 500;

/**
 * Whether `tcp://host:port` accepts a connection (from `local-address` when given) within the
 * timeout. As in goss, `udp://` only needs the address to be valid: UDP has no handshake.
 */
export async function checkAddr(
  run: ResourceRun,
  id: string,
  props: AddrProps,
  ctx: CheckContext,
): Promise<void> {
  const target = parseAddrId(props.address ?? id);
  const timeoutMs = props.timeout ?? DEFAULT_ADDR_TIMEOUT_MS;
  await run.check('reachable', props.reachable, async () => {
    if (!target) return false;
    if (target.network === 'udp') return udpReachable(target.host, target.port, props['local-address']);
    return tcpReachable(target.host, target.port, props['local-address'], timeoutMs, ctx.signal);
  });
}

function tcpReachable(
  host: string,
  port: number,
  local: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  return new Promise((done) => {
    const sock = connect({ host, port, ...(local ? { localAddress: local } : {}) });
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const onAbort = (): void => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
}

function udpReachable(host: string, port: number, local: string | undefined): Promise<boolean> {
  return new Promise((done) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const finish = (ok: boolean): void => {
      sock.close();
      done(ok);
    };
    sock.once('error', () => finish(false));
    const go = (): void => sock.connect(port, host, () => finish(true));
    if (local) sock.bind({ address: local }, go);
    else go();
  });
}
