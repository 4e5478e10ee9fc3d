// Throwaway OpenPGP keys made by the real gpg, for tests of signing and verification.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A throwaway GnuPG home with one ed25519 signing key, made by the real gpg. */
export interface GpgKey {
  home: string;
  uid: string;
  fingerprint: string;
  /** 16-hex-digit key id (lower case) */
  keyId: string;
  armoredPublicKey: string;
  binaryPublicKey: Buffer;
}

async function gpg(home: string, args: string[]): Promise<string> {
  const res = await exec(
    'gpg',
    ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
    { timeout: 60_000, maxBuffer: 16 << 20 },
  );
  return res.stdout;
}

/** Generate a key with `gpg --quick-gen-key ... ed25519 sign never` in a fresh homedir. */
export async function makeGpgKey(uid: string): Promise<GpgKey> {
  // Short path: gpg-agent's socket path must fit in sockaddr_un.
  const home = await mkdtemp(join(tmpdir(), 'mgpg-'));
  await gpg(home, ['--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
  const colons = await gpg(home, ['--with-colons', '--list-keys', uid]);
  const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(colons)?.[1];
  if (!fpr) throw new Error(`gpg did not list a fingerprint:\n${colons}`);
  const armoredPublicKey = await gpg(home, ['--armor', '--export', fpr]);
  const binPath = join(home, 'pub.gpg');
  await gpg(home, ['--output', binPath, '--export', fpr]);
  return {
    home,
    uid,
    fingerprint: fpr.toLowerCase(),
    keyId: fpr.slice(-16).toLowerCase(),
    armoredPublicKey,
    binaryPublicKey: await readFile(binPath),
  };
}

/** `gpg --detach-sign` a file; returns the signature's path (`.asc` armored, `.sig` binary). */
export async function detachSign(
  key: GpgKey,
  file: string,
  opts: { armor: boolean; out?: string },
): Promise<string> {
  const out = opts.out ?? `${file}.${opts.armor ? 'asc' : 'sig'}`;
  await gpg(key.home, [
    '--yes',
    '--local-user',
    key.fingerprint,
    ...(opts.armor ? ['--armor'] : []),
    '--output',
    out,
    '--detach-sign',
    file,
  ]);
  return out;
}

/** Stop the key's gpg-agent and remove its homedir. */
export async function removeGpgKey(key: GpgKey | undefined): Promise<void> {
  if (!key) return;
  await exec('gpgconf', ['--homedir', key.home, '--kill', 'all'], { timeout: 20_000 }).catch(() => undefined);
  await rm(key.home, { recursive: true, force: true });
}
