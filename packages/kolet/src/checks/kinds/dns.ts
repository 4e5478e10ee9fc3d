import { promises as dns } from 'node:dns';
import type { CheckContext } from '../context.js';
import { expectContainsAll, expectEqual, failed, type Outcome } from '../outcome.js';
import type { DnsProps } from '../types.js';

/** Default resolution timeout: goss's 500 ms is tight for machines under emulation. */
export const DEFAULT_DNS_TIMEOUT_MS = 2000;

/**
 * Resolve a name with the system resolver (getaddrinfo: /etc/hosts, nsswitch, DNS) or, with
 * `server`, by asking that DNS server for A and AAAA records. Checks resolvable and addrs.
 */
export async function checkDns(id: string, props: DnsProps, ctx: CheckContext): Promise<Outcome[]> {
  const timeoutMs = props.timeout ?? DEFAULT_DNS_TIMEOUT_MS;
  let addrs: string[] = [];
  let error: string | undefined;
  try {
    addrs = await withTimeout(resolveName(id, props.server, timeoutMs), timeoutMs, ctx.signal);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const out: Outcome[] = [];
  if (props.resolvable !== undefined) {
    const o = expectEqual('resolvable', props.resolvable, addrs.length > 0);
    out.push(o.status === 'fail' && error ? { ...o, message: `${o.message} (${error})` } : o);
  }
  if (props.addrs !== undefined) {
    out.push(
      error && addrs.length === 0
        ? failed('addrs', props.addrs, [], `cannot resolve ${id}: ${error}`)
        : expectContainsAll('addrs', props.addrs, addrs),
    );
  }
  return out;
}

async function resolveName(name: string, server: string | undefined, timeoutMs: number): Promise<string[]> {
  if (!server) {
    const all = await dns.lookup(name, { all: true, verbatim: true });
    return [...new Set(all.map((a) => a.address))];
  }
  const r = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  r.setServers([server]);
  const [v4, v6] = await Promise.allSettled([r.resolve4(name), r.resolve6(name)]);
  const found = [
    ...(v4.status === 'fulfilled' ? v4.value : []),
    ...(v6.status === 'fulfilled' ? v6.value : []),
  ];
  if (found.length === 0 && v4.status === 'rejected') throw v4.reason;
  return found;
}

/** getaddrinfo cannot be cancelled; a timeout just stops waiting for it. */
function withTimeout<T>(p: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolveValue, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    const onAbort = (): void => reject(new Error('stopped: the check run timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolveValue, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
