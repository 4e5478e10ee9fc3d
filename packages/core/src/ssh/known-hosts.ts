import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** One key line of an OpenSSH known_hosts file. */
export interface KnownHostsEntry {
  /** `@revoked` or `@cert-authority` lines; absent for plain host keys */
  marker: 'revoked' | 'cert-authority' | undefined;
  /** the host field as written: comma-separated patterns or one hashed `|1|salt|hash` */
  hosts: string;
  /** e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa` */
  keyType: string;
  /** the key blob, base64 as in the file */
  keyBase64: string;
  /** 1-based line number, for messages */
  line: number;
}

/**
 * Parse known_hosts text. Lines that are blank, comments or malformed are skipped (as OpenSSH
 * does), so one bad line written by another tool never locks a user out of every host.
 */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostsEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) continue;
    entries.push({ marker, hosts, keyType, keyBase64, line: i + 1 });
  }
  return entries;
}

/** The name OpenSSH looks a host up by: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Whether a known_hosts host field (patterns or a hashed name) names this host and port. */
export function knownHostsEntryMatches(
  entry: Pick<KnownHostsEntry, 'hosts'>,
  host: string,
  port: number,
): boolean {
  const name = knownHostsName(host, port);
  if (entry.hosts.startsWith('|')) return hashedNameMatches(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    if (pattern === '') continue;
    const negated = pattern.startsWith('!');
    const p = (negated ? pattern.slice(1) : pattern).toLowerCase();
    if (globMatch(p, name)) {
      // A matching negation excludes the host whatever else matches.
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The entries (any marker) that apply to a host and port. */
export function findKnownHostKeys(
  entries: readonly KnownHostsEntry[],
  host: string,
  port: number,
): KnownHostsEntry[] {
  return entries.filter((e) => knownHostsEntryMatches(e, host, port));
}

/** One known_hosts line (with trailing newline) recording a host key, as `ssh` would write it. */
export function formatKnownHostsLine(host: string, port: number, keyType: string, keyBase64: string): string {
  return `${knownHostsName(host, port)} ${keyType} ${keyBase64}\n`;
}

/** The OpenSSH SHA256 fingerprint (`SHA256:` + unpadded base64) of a public key blob. */
export function hostKeyFingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOfBlob(keyBlob: Uint8Array): string {
  if (keyBlob.length < 4) throw new Error('SSH key blob is too short');
  const len = Buffer.from(keyBlob.buffer, keyBlob.byteOffset, keyBlob.byteLength).readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length)
    throw new Error('SSH key blob has no valid type name');
  return Buffer.from(keyBlob.subarray(4, 4 + len)).toString('ascii');
}

// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, what `HashKnownHosts yes` writes.
function hashedNameMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

// OpenSSH host patterns: `*` any run of characters, `?` exactly one; everything else literal.
function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
