// A small DNS client (RFC 1035 over UDP) for goss's `dns` checks with a `server`: goss asks
// the server directly for one record type (A, AAAA, CNAME, MX, NS, PTR, SRV, SSHFP, TXT, CAA)
// and prints each answer in miekg/dns's form. Node's resolver has no SSHFP and drops the
// trailing dots goss users write (`a.dnstest.io.`), so kolet speaks the protocol itself.
import { createSocket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';

export const DNS_TYPES = {
  A: 1,
  NS: 2,
  CNAME: 5,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  SSHFP: 44,
  CAA: 257,
} as const;
export type DnsType = keyof typeof DNS_TYPES;

/** A DNS error in the sense of Go's *net.DNSError (name not found): not resolvable, no error. */
export class DnsNotFound extends Error {}

/** `host`, `host:port`, `[v6]:port`: the server address to send to (port 53 by default). */
function parseServer(server: string): { host: string; port: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracket) return { host: bracket[1] as string, port: Number(bracket[2] ?? 53) };
  if (isIPv6(server)) return { host: server, port: 53 };
  const m = /^([^:]+):(\d+)$/.exec(server);
  if (m) return { host: m[1] as string, port: Number(m[2]) };
  return { host: server, port: 53 };
}

/** The reverse-lookup name of an address (dns.ReverseAddr). */
export function reverseName(addr: string): string | undefined {
  if (isIPv4(addr)) return `${addr.split('.').reverse().join('.')}.in-addr.arpa.`;
  if (isIPv6(addr)) {
    const parts = addr.split('::');
    const head = parts[0] ? parts[0].split(':') : [];
    const tail = parts.length > 1 && parts[1] ? parts[1].split(':') : [];
    const fill = parts.length > 1 ? 8 - head.length - tail.length : 0;
    const groups = [...head, ...Array<string>(fill).fill('0'), ...tail].map((g) => g.padStart(4, '0'));
    return `${groups.join('').split('').reverse().join('.')}.ip6.arpa.`;
  }
  return undefined;
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'utf8');
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let p = offset;
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = msg[p];
    if (len === undefined) throw new Error('truncated DNS name');
    if (len === 0) {
      if (next < 0) next = p + 1;
      return { name: `${labels.join('.')}.`, next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = p + 2;
      p = ((len & 0x3f) << 8) | (msg[p + 1] ?? 0);
      continue;
    }
    labels.push(msg.subarray(p + 1, p + 1 + len).toString('utf8'));
    p += 1 + len;
  }
  throw new Error('DNS name compression loop');
}

/** Format one answer record's data as miekg/dns does for goss. */
function formatRecord(type: number, msg: Buffer, start: number, len: number): string | undefined {
  const data = msg.subarray(start, start + len);
  switch (type) {
    case DNS_TYPES.A:
      return [...data].join('.');
    case DNS_TYPES.AAAA: {
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(data.readUInt16BE(i).toString(16));
      return compressV6(groups);
    }
    case DNS_TYPES.CNAME:
    case DNS_TYPES.NS:
    case DNS_TYPES.PTR:
      return readName(msg, start).name;
    case DNS_TYPES.MX:
      return `${data.readUInt16BE(0)} ${readName(msg, start + 2).name}`;
    case DNS_TYPES.SRV:
      return `${data.readUInt16BE(0)} ${data.readUInt16BE(2)} ${data.readUInt16BE(4)} ${readName(msg, start + 6).name}`;
    case DNS_TYPES.SSHFP:
      return `${data[0]} ${data[1]} ${data.subarray(2).toString('hex').toUpperCase()}`;
    case DNS_TYPES.CAA: {
      const tagLen = data[1] ?? 0;
      return `${data[0]} ${data.subarray(2, 2 + tagLen).toString('utf8')} ${data.subarray(2 + tagLen).toString('utf8')}`;
    }
    default:
      return undefined;
  }
}

function txtStrings(data: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < data.length;) {
    const l = data[i] ?? 0;
    out.push(data.subarray(i + 1, i + 1 + l).toString('utf8'));
    i += 1 + l;
  }
  return out;
}

function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * Ask `server` for the records of one type; resolves to their text (goss's form), throws
 * DnsNotFound for NXDOMAIN and Error for timeouts and other failures.
 */
export function queryDns(name: string, type: DnsType, server: string, timeoutMs: number): Promise<string[]> {
  const { host, port } = parseServer(server);
  const id = randomInt(0, 0x10000);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4);
  const question = Buffer.concat([encodeName(name), Buffer.from([0, 0, 0, 1])]);
  question.writeUInt16BE(DNS_TYPES[type], question.length - 4);
  const query = Buffer.concat([header, question]);
  return new Promise((resolveAnswers, reject) => {
    const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const finish = (err: Error | undefined, answers?: string[]): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolveAnswers(answers ?? []);
    };
    const timer = setTimeout(() => finish(new Error(`read udp ${host}:${port}: i/o timeout`)), timeoutMs);
    sock.on('error', (e) => finish(e));
    sock.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      try {
        const rcode = msg.readUInt16BE(2) & 0xf;
        if (rcode === 3) return finish(new DnsNotFound(`lookup ${name}: no such host`));
        if (rcode !== 0) return finish(new Error(`DNS server ${server} answered with rcode ${rcode}`));
        const qd = msg.readUInt16BE(4);
        const an = msg.readUInt16BE(6);
        let p = 12;
        for (let i = 0; i < qd; i++) p = readName(msg, p).next + 4;
        const answers: string[] = [];
        for (let i = 0; i < an; i++) {
          p = readName(msg, p).next;
          const rtype = msg.readUInt16BE(p);
          const rdlen = msg.readUInt16BE(p + 8);
          const start = p + 10;
          if (rtype === DNS_TYPES[type]) {
            if (rtype === DNS_TYPES.TXT) answers.push(...txtStrings(msg.subarray(start, start + rdlen)));
            else {
              const text = formatRecord(rtype, msg, start, rdlen);
              if (text !== undefined) answers.push(text);
            }
          }
          p = start + rdlen;
        }
        finish(undefined, answers);
      } catch (err) {
        finish(err as Error);
      }
    });
    sock.send(query, port, host, (err) => {
      if (err) finish(err);
    });
  });
}
