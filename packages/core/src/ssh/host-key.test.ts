import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { prepareHostKeyCheck, validateHostKeyPolicy, type HostKeyPolicy } from './host-key.js';
import { hostKeyFingerprint } from './known-hosts.js';
import { newEd25519KeyPair } from './keys.js';

// Public key blobs of two fresh ed25519 keys, as a server would present them.
function newBlob(): Buffer {
  const line = newEd25519KeyPair('').public;
  return Buffer.from(line.split(' ')[1] as string, 'base64');
}

async function verify(policy: HostKeyPolicy, blob: Buffer, knownHostsPath?: string) {
  const check = await prepareHostKeyCheck({
    policy,
    knownHostsPath,
    host: '127.0.0.1',
    port: 2222,
    logger: silentLogger,
  });
  const ok = await new Promise<boolean>((resolve) => check.verify(blob, resolve));
  return { ok, check };
}

describe('host key policies', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mantle-hostkey-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validates policies up front', () => {
    expect(() => validateHostKeyPolicy('accept-new', undefined)).toThrow(/knownHostsPath/);
    expect(() => validateHostKeyPolicy({ pin: 'MD5:aa:bb' }, undefined)).toThrow(
      /not an OpenSSH SHA256 fingerprint/,
    );
    expect(() => validateHostKeyPolicy({ pin: [] }, undefined)).toThrow(/lists no fingerprint/);
    expect(() => validateHostKeyPolicy('yolo' as HostKeyPolicy, undefined)).toThrow(/not one of/);
    const fp = hostKeyFingerprint(newBlob());
    expect(validateHostKeyPolicy({ pin: `${fp}=` }, undefined)).toEqual([fp]);
  });

  it('accept-new records a new key, accepts it again and refuses a changed one', async () => {
    const path = join(dir, 'sub', 'known_hosts');
    const first = newBlob();
    const a = await verify('accept-new', first, path);
    expect(a.ok).toBe(true);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(`[127.0.0.1]:2222 ssh-ed25519 ${first.toString('base64')}\n`);
    expect((await verify('accept-new', first, path)).ok).toBe(true);
    const b = await verify('accept-new', newBlob(), path);
    expect(b.ok).toBe(false);
    expect(b.check.failure?.code).toBe('SSH_HOSTKEY_MISMATCH');
    expect(b.check.failure?.message).toContain(path);
    expect(b.check.failure?.hint).toContain("ssh-keygen -R '[127.0.0.1]:2222'");
    expect(b.check.serverHostKeyAlgorithms?.[0]).toBe('ssh-ed25519');
    expect(await readFile(path, 'utf8')).toBe(text); // nothing appended for the refused key
  });

  it('accept-new refuses a key marked @revoked', async () => {
    const path = join(dir, 'revoked_hosts');
    const blob = newBlob();
    await writeFile(path, `@revoked * ssh-ed25519 ${blob.toString('base64')}\n`);
    const r = await verify('accept-new', blob, path);
    expect(r.ok).toBe(false);
    expect(r.check.failure?.code).toBe('SSH_HOSTKEY_REVOKED');
  });

  it('pin accepts only the pinned fingerprint; insecure accepts anything', async () => {
    const blob = newBlob();
    const fp = hostKeyFingerprint(blob);
    expect((await verify({ pin: fp }, blob)).ok).toBe(true);
    const wrong = await verify({ pin: [hostKeyFingerprint(newBlob())] }, blob);
    expect(wrong.ok).toBe(false);
    expect(wrong.check.failure?.code).toBe('SSH_HOSTKEY_MISMATCH');
    expect(wrong.check.failure?.message).toContain(fp);
    const any = await verify('insecure', blob);
    expect(any.ok).toBe(true);
    expect(any.check.fingerprint).toBe(fp);
  });
});
