import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const PORT_PROTOCOLS = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];

/** A socket listening on (tcp) or bound to (udp) a local port. */
export interface Listener {
  proto: PortProtocol;
  ip: string;
  port: number;
}

// /proc/net/tcp state column: 0A is LISTEN.
const TCP_LISTEN = '0A';

/**
 * Parse one /proc/net/{tcp,tcp6,udp,udp6} table into its listening sockets. Addresses are
 * hex in the kernel's byte order (little-endian 32-bit words on x86 and arm64).
 */
export function parseProcNet(text: string, proto: PortProtocol): Listener[] {
  const tcp = proto.startsWith('tcp');
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // As goss (GOnetstat): tcp sockets in LISTEN, every udp socket.
    if (f.length < 4 || (tcp && f[3] !== TCP_LISTEN)) continue;
    const [hexIp, hexPort] = (f[1] ?? '').split(':');
    if (!hexIp || !hexPort) continue;
    const ip = hexIp.length === 8 ? decodeIPv4(hexIp) : decodeIPv6(hexIp);
    if (ip === undefined) continue;
    out.push({ proto, ip, port: parseInt(hexPort, 16) });
  }
  return out;
}

/** Every listening socket of this network namespace. A missing table (no IPv6) is empty. */
export async function readListeners(procRoot = '/proc'): Promise<Listener[]> {
  const tables = await Promise.all(
    PORT_PROTOCOLS.map(async (proto) => {
      try {
        return parseProcNet(await readFile(join(procRoot, 'net', proto), 'utf8'), proto);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    }),
  );
  return tables.flat();
}

function wordBytes(hex8: string): number[] {
  // One 32-bit word as the kernel printed it (host order, little-endian): reverse the bytes.
  const b = [0, 2, 4, 6].map((i) => parseInt(hex8.slice(i, i + 2), 16));
  return b.reverse();
}

function decodeIPv4(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  return wordBytes(hex).join('.');
}

function decodeIPv6(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
  return formatIPv6(bytes);
}

/** RFC 5952 text of 16 address bytes (v4-mapped addresses end in dotted IPv4). */
export function formatIPv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  // Longest run of two or more zero groups becomes '::' (the first one on a tie).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
