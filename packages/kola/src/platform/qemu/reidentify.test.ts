import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newEd25519KeyPair } from '@mantle/core/ssh';
import { dropbearEd25519Key, reidentifyScript } from './reidentify.js';

describe('reidentify', () => {
  it("writes dropbear's ed25519 key format: string type, string seed||public key", () => {
    const k = newEd25519KeyPair('');
    const blob = dropbearEd25519Key(k.seed, k.publicKeyBytes);
    expect(blob.readUInt32BE(0)).toBe(11);
    expect(blob.subarray(4, 15).toString()).toBe('ssh-ed25519');
    expect(blob.readUInt32BE(15)).toBe(64);
    expect(blob.subarray(19, 51)).toEqual(k.seed);
    expect(blob.subarray(51, 83)).toEqual(k.publicKeyBytes);
    expect(blob.length).toBe(83);
    // the public half is the key the OpenSSH line names
    const jwk = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: k.publicKeyBytes.toString('base64url') },
      format: 'jwk',
    });
    expect(jwk.asymmetricKeyType).toBe('ed25519');
  });

  it('is a POSIX sh script that dash parses, carrying the new machine-id and key', () => {
    const k = newEd25519KeyPair('');
    const script = reidentifyScript({
      machineId: '0123456789abcdef0123456789abcdef',
      opensshPrivateKey: k.private,
      publicKey: k.public,
      dropbearKey: dropbearEd25519Key(k.seed, k.publicKeyBytes),
      epochSeconds: 1_700_000_000.7,
      entropy: Buffer.alloc(64, 1),
    });
    execFileSync('sh', ['-n', '-c', script]);
    expect(script).toMatch(/^mid='?0123456789abcdef0123456789abcdef'?$/m);
    expect(script).toContain('date -u -s @1700000000');
    expect(script).toContain(Buffer.from(k.private).toString('base64'));
    expect(script).not.toContain('BEGIN OPENSSH PRIVATE KEY');
  });

  it('uses the old host key the host saw instead of asking dropbearkey in the guest', () => {
    const k = newEd25519KeyPair('');
    const old = newEd25519KeyPair('').public.split(' ')[1]!;
    const script = reidentifyScript({
      machineId: '0123456789abcdef0123456789abcdef',
      opensshPrivateKey: k.private,
      publicKey: k.public,
      oldPublicKey: old,
      dropbearKey: dropbearEd25519Key(k.seed, k.publicKeyBytes),
      epochSeconds: 1_700_000_000,
      entropy: Buffer.alloc(64, 1),
    });
    execFileSync('sh', ['-n', '-c', script]);
    expect(script).toContain(`given=${old}`);
    // the fallback runs only when no key was given: ${given:-$(...)} expands its default lazily
    const pick = script
      .split('\n')
      .find((l) => l.includes('oldkey=${given:-$(dropbearkey'))!
      .trim();
    const oldkey = execFileSync(
      'sh',
      ['-c', `known=1; given=${old}; dropbearkey() { echo called; }; ${pick}; echo "$oldkey"`],
      {
        encoding: 'utf8',
      },
    );
    expect(oldkey.trim()).toBe(old);
  });
});

describe('reidentify over the identity channel', () => {
  it('waits for the login session before the restart and for the new listener after it', () => {
    const k = newEd25519KeyPair('');
    const opts = {
      machineId: '0123456789abcdef0123456789abcdef',
      opensshPrivateKey: k.private,
      publicKey: k.public,
      dropbearKey: dropbearEd25519Key(k.seed, k.publicKeyBytes),
      epochSeconds: 1_700_000_000,
      entropy: Buffer.alloc(64, 1),
    };
    const channel = reidentifyScript({ ...opts, waitListening: true, waitForSession: true });
    execFileSync('sh', ['-n', '-c', channel]);
    // the waits are in the functions' bodies only when asked for (over SSH they return at once)
    const body = (script: string, fn: string): string =>
      script.slice(script.indexOf(`${fn}() {`), script.indexOf('\n}', script.indexOf(`${fn}() {`)));
    expect(body(channel, 'session')).toContain('/proc/[0-9]*/stat');
    expect(body(channel, 'relisten')).toContain('listener');
    const ssh = reidentifyScript(opts);
    expect(body(ssh, 'session')).not.toContain('/proc');
    expect(body(ssh, 'relisten')).not.toContain('listener');
    // dropbear: the session is waited for before the old listener is killed
    expect(channel.indexOf('session "$pid"')).toBeLessThan(channel.indexOf('kill "$pid"'));
    expect(channel.indexOf('session "$pid"')).toBeLessThan(channel.indexOf('kill -HUP "$pid"'));
  });
});
