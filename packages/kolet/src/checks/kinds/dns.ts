import { promises as dnsPromises } from 'node:dns';
import type { CheckContext } from '../context.js';
import { DNS_TYPES, DnsNotFound, queryDns, reverseName, type DnsType } from '../system/dns-client.js';
import type { DnsProps } from '../types.js';
import { SystemError, type ResourceRun } from '../validate-value.js';
import { checkWithRetry, once } from './common.js';

/** goss's default: 500 ms per lookup (it tries a lookup that errs three times). */
const DEFAULT_DNS_TIMEOUT_MS = 500;

/** `CNAME:example.com` is a CNAME lookup of example.com, as goss reads the key. */
function splitDnsKey(key: string): { type: DnsType | undefined; host: string } {
  const m = /^([A-Z]+):(.*)$/.exec(key);
  if (m && Object.hasOwn(DNS_TYPES, m[1] as string)) return { type: m[1] as DnsType, host: m[2] as string };
  if (m) return { type: undefined, host: m[2] as string };
  return { type: undefined, host: key };
}

/**
 * Resolve a name: with the system resolver (getaddrinfo: /etc/hosts, nsswitch, DNS), or with
 * `server` by asking that server for the key's record type (A and AAAA when none). resolvable
 * (old spelling resolveable), then addrs (sorted, as goss sorts them).
 */
export async function checkDns(
  run: ResourceRun,
  id: string,
  props: DnsProps,
  ctx: CheckContext,
): Promise<void> {
  const { type, host } = splitDnsKey(props.resolve ?? id);
  const timeoutMs = props.timeout && props.timeout > 0 ? props.timeout : DEFAULT_DNS_TIMEOUT_MS;
  const fresh = () => once(() => lookupWithRetries(host, type, props.server, timeoutMs, ctx));
  // resolvable and addrs share a lookup; a retry looks up again.
  let current = fresh();
  let reuse = true;
  const take = (): (() => Promise<string[]>) => {
    if (!reuse) current = fresh();
    reuse = false;
    return current;
  };
  const expectResolvable = props.resolvable ?? props.resolveable;
  await checkWithRetry(run, props.retry_count, props.retry_delay, ctx, () => {
    const l = take();
    return run.check('resolvable', expectResolvable, async () => (await l()).length > 0);
  });
  run.gateOnFirst();
  reuse = true;
  if (props.addrs != null)
    await checkWithRetry(run, props.retry_count, props.retry_delay, ctx, () => {
      const l = take();
      return run.check('addrs', props.addrs, () => l());
    });
}

/** goss's DNS setup: up to three lookups while one errs (not-found is an answer: no addresses). */
async function lookupWithRetries(
  host: string,
  type: DnsType | undefined,
  server: string | undefined,
  timeoutMs: number,
  ctx: CheckContext,
): Promise<string[]> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      const addrs = await withTimeout(lookup(host, type, server, timeoutMs), timeoutMs, ctx.signal);
      if (addrs.length > 0) return [...addrs].sort();
      last = undefined;
    } catch (err) {
      if (err instanceof DnsNotFound) return [];
      last = err;
    }
    if (ctx.signal.aborted) break;
  }
  if (last === undefined) return [];
  throw new SystemError(last instanceof Error ? last.message : JSON.stringify(last));
}

async function lookup(
  host: string,
  type: DnsType | undefined,
  server: string | undefined,
  timeoutMs: number,
): Promise<string[]> {
  if (!server) {
    try {
      const all = await dnsPromises.lookup(host, { all: true, verbatim: true });
      return [...new Set(all.map((a) => a.address))];
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NONAME')
        throw new DnsNotFound(`lookup ${host}: no such host`);
      throw err;
    }
  }
  if (type === 'PTR') {
    const rev = reverseName(host);
    if (!rev) throw new Error(`unrecognized address: ${host}`);
    return queryDns(rev, 'PTR', server, timeoutMs);
  }
  if (type !== undefined) return queryDns(host, type, server, timeoutMs);
  const [a, aaaa] = await Promise.allSettled([
    queryDns(host, 'A', server, timeoutMs),
    queryDns(host, 'AAAA', server, timeoutMs),
  ]);
  return [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
}

/** getaddrinfo cannot be cancelled; a timeout just stops waiting for it. */
function withTimeout<T>(p: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolveValue, reject) => {
    const timer = setTimeout(() => reject(new Error(`DNS lookup timed out (${ms}ms)`)), ms);
    const onAbort = (): void => reject(new Error('stopped: the check run timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolveValue, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
