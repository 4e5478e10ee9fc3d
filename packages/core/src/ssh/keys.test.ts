import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { loadPrivateKey, newEd25519KeyPair, publicKeyFingerprint } from './keys.js';

describe('newEd25519KeyPair', () => {
  // ssh2's own generator writes a broken key ~1/256 of the time; ours must never.
  it('always produces keys ssh2 parses, with matching public halves', () => {
    for (let i = 0; i < 1000; i++) {
      const pair = newEd25519KeyPair('c');
      const parsed = ssh2.utils.parseKey(pair.private);
      expect(parsed).not.toBeInstanceOf(Error);
      const pub = (parsed as ParsedKey).getPublicSSH().toString('base64');
      expect(pair.public).toBe(`ssh-ed25519 ${pub} c`);
    }
  });

  it('writes what ssh-keygen reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mantle-keys-'));
    try {
      const pair = newEd25519KeyPair('unit@test');
      const file = join(dir, 'k');
      writeFileSync(file, pair.private, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
      expect(derived).toBe(pair.public);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads keys and names their fingerprint like ssh-keygen -l', async () => {
    const pair = newEd25519KeyPair('');
    const loaded = await loadPrivateKey({ privateKey: pair.private });
    expect(loaded.source).toBe('(inline key)');
    expect(loaded.publicKey).toBe(pair.public);
    expect(loaded.fingerprint).toBe(publicKeyFingerprint(pair.public));
    await expect(loadPrivateKey({ privateKey: 'not a key' })).rejects.toMatchObject({
      code: 'SSH_KEY_INVALID',
    });
    await expect(loadPrivateKey({})).rejects.toMatchObject({ code: 'SSH_BAD_OPTION' });
  });
});
