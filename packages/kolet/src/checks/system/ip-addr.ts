import { isIPv4, isIPv6 } from 'node:net';
import { formatIPv6 } from './proc-net.js';
import { runCapture, TOOL_TIMEOUT_MS } from './spawn-capture.js';

// Interface addresses come from iproute2's `ip -j addr show` (netlink underneath), the same
// source goss reads through Go's net.Interface.Addrs(). Not from Node's os.networkInterfaces():
// libuv leaves out every interface that is not UP and RUNNING, so an interface without carrier
// (or one set down) would show no addresses at all. Not from /proc/net either: if_inet6 has the
// IPv6 addresses, but IPv4 addresses per interface are in no /proc file.

/** Addresses per interface name, each as canonical `address/prefix`. */
export type InterfaceAddrs = Map<string, string[]>;

/**
 * `192.0.2.1/24` or `fe80::1/64` in one spelling (IPv6 lower case, zeros compressed as RFC 5952),
 * so what a spec says and what the machine has compare as text; undefined when it is not one.
 */
export function canonicalCidr(text: string): string | undefined {
  const m = /^([^/\s%]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = m[1] as string;
  const prefix = Number(m[2]);
  if (isIPv4(ip)) return prefix <= 32 ? `${ip}/${prefix}` : undefined;
  if (isIPv6(ip)) return prefix <= 128 ? `${formatIPv6(ipv6Bytes(ip))}/${prefix}` : undefined;
  return undefined;
}

/** The 16 bytes of a valid IPv6 address text (with or without `::` and a dotted IPv4 tail). */
function ipv6Bytes(ip: string): number[] {
  let head = ip;
  let v4: number[] | undefined;
  const lastColon = ip.lastIndexOf(':');
  if (ip.slice(lastColon + 1).includes('.')) {
    v4 = ip
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    head = `${ip.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const l = left ? left.split(':') : [];
  const r = right === undefined ? [] : right ? right.split(':') : [];
  const groups =
    right === undefined ? l : [...l, ...new Array<string>(8 - l.length - r.length).fill('0'), ...r];
  const bytes = groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (v4) bytes.splice(12, 4, ...v4);
  return bytes;
}

/** Parse `ip -j addr show` output; undefined when it is not the JSON iproute2 prints. */
export function parseIpAddrJson(text: string): InterfaceAddrs | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(data)) return undefined;
  const out: InterfaceAddrs = new Map();
  for (const link of data as { ifname?: unknown; addr_info?: unknown }[]) {
    if (typeof link?.ifname !== 'string') continue;
    const addrs: string[] = [];
    for (const a of Array.isArray(link.addr_info) ? (link.addr_info as Record<string, unknown>[]) : []) {
      if (typeof a.local !== 'string' || typeof a.prefixlen !== 'number') continue;
      const c = canonicalCidr(`${a.local}/${a.prefixlen}`);
      if (c) addrs.push(c);
    }
    out.set(link.ifname, addrs);
  }
  return out;
}

/**
 * Parse the text of `ip addr show` (iproute2 without JSON support, or busybox): `N: name[@peer]: ...`
 * starts an interface; `inet ADDR/N ...` and `inet6 ADDR/N ...` lines are its addresses
 * (`inet A peer B/N` is A with prefix N, as netlink reports the local address).
 */
export function parseIpAddrText(text: string): InterfaceAddrs {
  const out: InterfaceAddrs = new Map();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const head = /^\d+:\s+([^\s:@]+)(?:@[^\s:]*)?:/.exec(line);
    if (head) {
      current = [];
      out.set(head[1] as string, current);
      continue;
    }
    const addr = /^\s+inet6?\s+(\S+)(?:\s+peer\s+\S+?\/(\d+))?/.exec(line);
    if (!addr || !current) continue;
    const local = addr[1] as string;
    const c = canonicalCidr(
      local.includes('/') ? local : `${local}/${addr[2] ?? (local.includes(':') ? 128 : 32)}`,
    );
    if (c) current.push(c);
  }
  return out;
}

/** Every interface's addresses from `ip`, or why they cannot be read. */
export async function readInterfaceAddrs(
  ip: string | undefined,
  opts: { env: NodeJS.ProcessEnv; signal: AbortSignal },
): Promise<{ addrs: InterfaceAddrs } | { unsupported: string }> {
  if (!ip) return { unsupported: 'ip (iproute2) is not installed' };
  const run = (args: string[]) =>
    runCapture([ip, ...args], { env: opts.env, timeoutMs: TOOL_TIMEOUT_MS, signal: opts.signal });
  const json = await run(['-j', 'addr', 'show']);
  const parsed = json.exitCode === 0 ? parseIpAddrJson(json.stdout) : undefined;
  if (parsed) return { addrs: parsed };
  // No JSON (busybox ip, iproute2 before 4.15): the text output has the same facts.
  const plain = await run(['addr', 'show']);
  if (plain.exitCode !== 0)
    return { unsupported: `${ip} addr show failed: ${plain.stderr.trim() || `exit ${plain.exitCode}`}` };
  return { addrs: parseIpAddrText(plain.stdout) };
}
