import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParsedKey } from 'ssh2';
import { ssh2 } from './ssh2-lazy.js';
import { SshErrorCode, sshInputError } from './errors.js';
import { hostKeyFingerprint } from './known-hosts.js';
import { errorMessage } from '../errors/message.js';

export interface GenerateKeyPairOptions {
  /** directory to write into (created 0700 when missing) */
  dir: string;
  /** file name of the private key; the public key gets `.pub` appended (default `id_ed25519`) */
  name?: string;
  /** comment at the end of the public key line, e.g. `kola@host` */
  comment?: string;
  /** replace existing files instead of failing */
  overwrite?: boolean;
}

export interface GeneratedKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  /** the `ssh-ed25519 AAAA... comment` line, ready for authorized_keys or Ignition */
  publicKey: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints it */
  fingerprint: string;
}

/** Write a new ed25519 key pair in OpenSSH format: private 0600, public 0644. */
export async function generateKeyPair(opts: GenerateKeyPairOptions): Promise<GeneratedKeyPair> {
  const name = opts.name ?? 'id_ed25519';
  if (name.includes('/') || name === '' || name.startsWith('.')) {
    throw sshInputError(
      SshErrorCode.BadOption,
      `key name '${name}' must be a plain file name`,
      'pass a name like id_ed25519',
    );
  }
  if (opts.comment && /[\r\n]/.test(opts.comment)) {
    throw sshInputError(
      SshErrorCode.BadOption,
      'key comment contains a line break',
      'pass a one-line comment such as kola@host',
    );
  }
  const pair = newEd25519KeyPair(opts.comment ?? '');
  const publicKey = pair.public;
  const privateKeyPath = join(opts.dir, name);
  const publicKeyPath = `${privateKeyPath}.pub`;
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  // Refuse before writing anything, so a clash never leaves half a pair behind.
  if (!opts.overwrite) await refuseExisting([privateKeyPath, publicKeyPath]);
  await writeAtomic(privateKeyPath, pair.private, 0o600);
  await writeAtomic(publicKeyPath, publicKey + '\n', 0o644);
  return { privateKeyPath, publicKeyPath, publicKey, fingerprint: publicKeyFingerprint(publicKey) };
}

/**
 * A new ed25519 key pair as OpenSSH text (private key in `openssh-key-v1` format, public key line).
 * Encoded here from node:crypto rather than with ssh2's generateKeyPairSync, which drops a leading
 * zero byte of the public key and so writes a broken key about 1 time in 256 (mscdex/ssh2#1390).
 */
export function newEd25519KeyPair(comment: string): {
  private: string;
  public: string;
  /** the raw 32-byte private seed and public key, for other key formats (e.g. dropbear's) */
  seed: Buffer;
  publicKeyBytes: Buffer;
} {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d as string, 'base64url');
  const pub = Buffer.from(jwk.x as string, 'base64url');
  if (seed.length !== 32 || pub.length !== 32)
    throw new Error('node:crypto returned an ed25519 key of unexpected size');
  const type = Buffer.from('ssh-ed25519');
  const pubBlob = Buffer.concat([sshString(type), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString(type),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])), // OpenSSH stores seed || public key
    sshString(Buffer.from(comment)),
  ]);
  // pad to the cipher block size (8 for "none") with bytes 1, 2, 3, ...
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString(Buffer.from('none')), // cipher
    sshString(Buffer.from('none')), // kdf
    sshString(Buffer.alloc(0)), // kdf options
    uint32(1), // number of keys
    sshString(pubBlob),
    sshString(priv),
  ]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
    public: `ssh-ed25519 ${pubBlob.toString('base64')}${comment ? ` ${comment}` : ''}`,
    seed,
    publicKeyBytes: pub,
  };
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function sshString(data: Buffer): Buffer {
  return Buffer.concat([uint32(data.length), data]);
}

/** The SHA256 fingerprint of an authorized_keys style public key line. */
export function publicKeyFingerprint(publicKeyLine: string): string {
  const b64 = publicKeyLine.trim().split(/\s+/)[1];
  if (!b64)
    throw sshInputError(
      SshErrorCode.KeyInvalid,
      'public key line has no key data',
      'pass a line like "ssh-ed25519 AAAA... comment"',
    );
  return hostKeyFingerprint(Buffer.from(b64, 'base64'));
}

/** A private key ready to authenticate with, plus how to name it in messages. */
export interface LoadedPrivateKey {
  key: Buffer;
  /** the key file, or `(inline key)` */
  source: string;
  /** fingerprint of the matching public key, to compare with the server's authorized_keys */
  fingerprint: string;
  /** the public key line (type + base64) that must be in the server's authorized_keys */
  publicKey: string;
}

/** Read and parse a private key (file or inline), failing with SSH_KEY_INVALID naming the file. */
export async function loadPrivateKey(opts: {
  privateKey?: string | Buffer | undefined;
  privateKeyPath?: string | undefined;
  passphrase?: string | undefined;
}): Promise<LoadedPrivateKey> {
  let key: Buffer;
  let source: string;
  if (opts.privateKey !== undefined) {
    key = Buffer.isBuffer(opts.privateKey) ? opts.privateKey : Buffer.from(opts.privateKey);
    source = '(inline key)';
  } else if (opts.privateKeyPath) {
    source = opts.privateKeyPath;
    try {
      key = await readFile(opts.privateKeyPath);
    } catch (err) {
      throw sshInputError(
        SshErrorCode.KeyInvalid,
        `cannot read SSH private key ${opts.privateKeyPath}: ${errorMessage(err)}`,
        'pass an existing key file (generate one with generateKeyPair or ssh-keygen -t ed25519)',
        err,
      );
    }
  } else {
    throw sshInputError(
      SshErrorCode.BadOption,
      'no SSH private key given',
      'pass privateKey or privateKeyPath',
    );
  }
  const parsed = ssh2().utils.parseKey(key, opts.passphrase);
  const first = Array.isArray(parsed) ? (parsed as unknown[])[0] : parsed;
  if (first instanceof Error || !first) {
    const why = first instanceof Error ? first.message : 'no key found';
    throw sshInputError(
      SshErrorCode.KeyInvalid,
      `SSH private key ${source} cannot be used: ${why}`,
      /encrypted|passphrase/i.test(why)
        ? 'pass its passphrase, or use an unencrypted key for automation'
        : 'pass an OpenSSH, PEM or PPK private key',
      first instanceof Error ? first : undefined,
    );
  }
  const pub = (first as ParsedKey).getPublicSSH();
  return {
    key,
    source,
    fingerprint: hostKeyFingerprint(pub),
    publicKey: `${(first as ParsedKey).type} ${pub.toString('base64')}`,
  };
}

// Write to a temp name in the same directory and rename, so no reader ever sees half a key.
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await chmod(tmp, mode); // the umask may have narrowed the mode at creation
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function refuseExisting(paths: string[]): Promise<void> {
  for (const p of paths) {
    const exists = await access(p).then(
      () => true,
      () => false,
    );
    if (exists)
      throw sshInputError(
        SshErrorCode.BadOption,
        `${p} already exists`,
        'pass overwrite: true, or another name or dir',
      );
  }
}
