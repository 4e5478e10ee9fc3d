import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  findKnownHostKeys,
  formatKnownHostsLine,
  hostKeyFingerprint,
  keyTypeOfBlob,
  knownHostsEntryMatches,
  knownHostsName,
  parseKnownHosts,
} from './known-hosts.js';

// A real ed25519 public key blob (from ssh-keygen), with its fingerprint as `ssh-keygen -lf` prints it.
const B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAIBF9qYIp+h0lFs1QUWnJz2cchpeW3xY1CtylB4AhHkBa';

describe('known_hosts', () => {
  it('parses host keys, markers and skips comments and garbage', () => {
    const text = [
      '# comment',
      '',
      `[127.0.0.1]:2222 ssh-ed25519 ${B64}`,
      `example.com,10.0.0.1 ssh-ed25519 ${B64} a comment`,
      `@revoked * ssh-ed25519 ${B64}`,
      '@bogus host ssh-ed25519 AAAA',
      'only-two fields',
      'host ssh-rsa not*base64',
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.hosts, e.marker, e.line])).toEqual([
      ['[127.0.0.1]:2222', undefined, 3],
      ['example.com,10.0.0.1', undefined, 4],
      ['*', 'revoked', 5],
    ]);
    expect(entries[0]?.keyType).toBe('ssh-ed25519');
    expect(entries[0]?.keyBase64).toBe(B64);
  });

  it('names hosts the way OpenSSH does', () => {
    expect(knownHostsName('Example.COM', 22)).toBe('example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(formatKnownHostsLine('127.0.0.1', 2222, 'ssh-ed25519', B64)).toBe(
      `[127.0.0.1]:2222 ssh-ed25519 ${B64}\n`,
    );
  });

  it('matches patterns, wildcards, negations and ports', () => {
    const m = (hosts: string, host: string, port = 22): boolean =>
      knownHostsEntryMatches({ hosts }, host, port);
    expect(m('example.com', 'EXAMPLE.com')).toBe(true);
    expect(m('example.com', 'example.com', 2222)).toBe(false);
    expect(m('[example.com]:2222', 'example.com', 2222)).toBe(true);
    expect(m('[example.com]:2222', 'example.com', 2223)).toBe(false);
    expect(m('*.example.com', 'a.example.com')).toBe(true);
    expect(m('*.example.com', 'example.com')).toBe(false);
    expect(m('10.0.0.?', '10.0.0.7')).toBe(true);
    expect(m('10.0.0.?', '10.0.0.17')).toBe(false);
    expect(m('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(m('*.example.com,!bad.example.com', 'good.example.com')).toBe(true);
    expect(m('[127.0.0.1]:*', '127.0.0.1', 40000)).toBe(true);
  });

  it('matches hashed names (HashKnownHosts yes)', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[10.1.2.3]:2200').digest();
    const hosts = `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
    expect(knownHostsEntryMatches({ hosts }, '10.1.2.3', 2200)).toBe(true);
    expect(knownHostsEntryMatches({ hosts }, '10.1.2.3', 22)).toBe(false);
    expect(knownHostsEntryMatches({ hosts: '|1|bad' }, '10.1.2.3', 2200)).toBe(false);
  });

  it('finds every entry for a host', () => {
    const entries = parseKnownHosts(
      `a ssh-ed25519 ${B64}\n[a]:22 ssh-rsa ${B64}\nb ssh-ed25519 ${B64}\n* ecdsa-sha2-nistp256 ${B64}\n`,
    );
    expect(findKnownHostKeys(entries, 'a', 22).map((e) => e.line)).toEqual([1, 4]);
  });

  it('fingerprints and types key blobs', () => {
    const blob = Buffer.from(B64, 'base64');
    expect(keyTypeOfBlob(blob)).toBe('ssh-ed25519');
    expect(hostKeyFingerprint(blob)).toBe('SHA256:H4vIPVshP9Yuu35XOyiEWqPUCm8uVcUOuSfMbSh2GKw');
    expect(() => keyTypeOfBlob(Buffer.from([0, 0, 0, 99, 1]))).toThrow();
  });
});
