// Integration: connectWithRetry, host key policies and generated keys against real OpenSSH sshd.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWithRetry, generateKeyPair, InterruptedError, run } from '../src/index.js';
import { freePort } from '@mantle/test-utils/free-port';
import { rejection } from './helpers/rejection.js';
import { connectOptions, prepareSshd, startSshd, stopAllSshd, type Sshd } from './helpers/sshd.js';

const connections = (sshd: Sshd): number => (sshd.log().match(/Connection from 127\.0\.0\.1/g) ?? []).length;

let dir: string; // keys and known_hosts files of every test
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-ssh-connect-'));
});
afterAll(async () => {
  await stopAllSshd();
  await rm(dir, { recursive: true, force: true });
});

describe('connectWithRetry against OpenSSH', () => {
  it('keeps retrying until a late-starting server answers', async () => {
    const sshd = await prepareSshd();
    const timer = setTimeout(() => void sshd.start(), 2000);
    const start = Date.now();
    try {
      const client = await connectWithRetry(
        connectOptions(sshd, { tries: 30, backoff: { initialMs: 100, factor: 1.3, maxMs: 500 } }),
      );
      expect(Date.now() - start).toBeGreaterThanOrEqual(1900);
      expect(client.attempts).toBeGreaterThan(1);
      expect((await client.exec('echo up')).stdout).toBe('up\n');
      await client.close();
    } finally {
      clearTimeout(timer);
    }
  });

  it('fails at once with SSH_AUTH_FAILED when the key is refused (no retry storm)', async () => {
    const sshd = await startSshd();
    const before = connections(sshd);
    const start = Date.now();
    const err = await rejection(
      connectWithRetry(connectOptions(sshd, { privateKeyPath: sshd.strangerKeyPath, tries: 10 })),
    );
    const took = Date.now() - start;
    expect(err.code).toBe('SSH_AUTH_FAILED');
    expect(err.message).toContain(`${sshd.user}@127.0.0.1:${sshd.port}`);
    expect(err.message).toContain(sshd.strangerKeyPath);
    expect(err.message).toMatch(/SHA256:/);
    expect(err.hint).toMatch(/authorized_keys/);
    expect(err.details).toMatchObject({ attempts: 1 });
    // ten tries with the default backoff would take ~14 s; one handshake takes well under 8 s even
    // on a loaded CI runner
    expect(took).toBeLessThan(8000);
    // give sshd a moment to log, then check it saw exactly one connection
    await new Promise((r) => setTimeout(r, 200));
    expect(connections(sshd) - before).toBe(1);
  });

  it('fails with SSH_UNREACHABLE after the configured tries on a closed port', async () => {
    const port = await freePort();
    const start = Date.now();
    const err = await rejection(
      connectWithRetry({
        host: '127.0.0.1',
        port,
        user: 'core',
        privateKeyPath: (await generateKeyPair({ dir, name: 'unreach' })).privateKeyPath,
        hostKeyPolicy: 'insecure',
        tries: 3,
        backoff: { initialMs: 50 },
      }),
    );
    expect(err.code).toBe('SSH_UNREACHABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('3 tries');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.details).toMatchObject({ attempts: 3, port });
    expect(Date.now() - start).toBeLessThan(3000);
  });

  it('stops retrying when aborted', async () => {
    const port = await freePort();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const start = Date.now();
    await expect(
      connectWithRetry({
        host: '127.0.0.1',
        port,
        user: 'core',
        privateKeyPath: (await generateKeyPair({ dir, name: 'abort' })).privateKeyPath,
        hostKeyPolicy: 'insecure',
        tries: 1000,
        backoff: { initialMs: 100, factor: 1 },
        signal: ac.signal,
      }),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - start).toBeLessThan(1500);
  });

  it('reports an unreadable key file as SSH_KEY_INVALID before connecting', async () => {
    const sshd = await startSshd();
    const err = await rejection(
      connectWithRetry(connectOptions(sshd, { privateKeyPath: join(dir, 'missing_key') })),
    );
    expect(err.code).toBe('SSH_KEY_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(join(dir, 'missing_key'));
  });

  it('accept-new records the host key, then detects a changed one (SSH_HOSTKEY_MISMATCH)', async () => {
    const sshd = await startSshd();
    const knownHostsPath = join(dir, 'known_hosts');
    const first = await connectWithRetry(
      connectOptions(sshd, { hostKeyPolicy: 'accept-new', knownHostsPath }),
    );
    await first.close();
    const recorded = await readFile(knownHostsPath, 'utf8');
    const pub = (await readFile(`${sshd.hostKeyPath}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
    expect(recorded).toBe(`[127.0.0.1]:${sshd.port} ${pub}\n`);
    // OpenSSH's own client agrees with what we wrote
    const keygen = await run('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', knownHostsPath]);
    expect(keygen.stdout).toContain(pub);

    // the same key is accepted again without appending
    const again = await connectWithRetry(
      connectOptions(sshd, { hostKeyPolicy: 'accept-new', knownHostsPath }),
    );
    await again.close();
    expect(await readFile(knownHostsPath, 'utf8')).toBe(recorded);

    // a reinstalled machine: new host key on the same address
    await sshd.stop();
    const newFp = await sshd.rotateHostKey();
    await sshd.start();
    const start = Date.now();
    const err = await rejection(
      connectWithRetry(connectOptions(sshd, { hostKeyPolicy: 'accept-new', knownHostsPath, tries: 10 })),
    );
    expect(err.code).toBe('SSH_HOSTKEY_MISMATCH');
    expect(err.message).toContain(newFp);
    expect(err.message).toContain(knownHostsPath);
    expect(Date.now() - start).toBeLessThan(8000); // not retried: ten tries take ~14 s
    expect(await readFile(knownHostsPath, 'utf8')).toBe(recorded);
  });

  it('pin accepts the pinned fingerprint and refuses any other', async () => {
    const sshd = await startSshd();
    const ok = await connectWithRetry(
      connectOptions(sshd, { hostKeyPolicy: { pin: sshd.hostKeyFingerprint } }),
    );
    expect(ok.hostKeyFingerprint).toBe(sshd.hostKeyFingerprint);
    await ok.close();
    const err = await rejection(
      connectWithRetry(
        connectOptions(sshd, {
          hostKeyPolicy: { pin: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        }),
      ),
    );
    expect(err.code).toBe('SSH_HOSTKEY_MISMATCH');
    expect(err.message).toContain(sshd.hostKeyFingerprint);
  });
});

describe('generateKeyPair', () => {
  it('writes an OpenSSH ed25519 pair that ssh-keygen and sshd accept', async () => {
    const pair = await generateKeyPair({ dir: join(dir, 'keys'), name: 'id_test', comment: 'kola@test' });
    expect((await stat(pair.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(pair.publicKeyPath)).mode & 0o777).toBe(0o644);
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700);
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ kola@test$/);
    expect(await readFile(pair.publicKeyPath, 'utf8')).toBe(`${pair.publicKey}\n`);
    // ssh-keygen derives the same public key from the private file and prints the same fingerprint
    const derived = await run('ssh-keygen', ['-y', '-f', pair.privateKeyPath]);
    expect(derived.stdout.trim().split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2));
    const fp = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', pair.publicKeyPath]);
    expect(fp.stdout.split(' ')[1]).toBe(pair.fingerprint);
    // and a real sshd lets it in
    const sshd = await startSshd({ authorizedKeys: [pair.publicKey] });
    const client = await connectWithRetry(connectOptions(sshd, { privateKeyPath: pair.privateKeyPath }));
    expect((await client.exec('echo in')).stdout).toBe('in\n');
    await client.close();
  });

  it('refuses to overwrite an existing pair unless asked', async () => {
    const first = await generateKeyPair({ dir, name: 'dup' });
    await expect(generateKeyPair({ dir, name: 'dup' })).rejects.toThrow(/already exists/);
    const second = await generateKeyPair({ dir, name: 'dup', overwrite: true });
    expect(second.publicKey).not.toBe(first.publicKey);
    await expect(generateKeyPair({ dir, name: '../escape' })).rejects.toThrow(/plain file name/);
  });
});
