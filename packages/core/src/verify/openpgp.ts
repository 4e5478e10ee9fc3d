import { constants, createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type * as OpenPGP from 'openpgp';
import { InputError } from '../errors/mantle-error.js';
import { VerifyError, VerifyErrorCode } from './errors.js';
import type { ByteSource } from './hash.js';
import { errorMessage } from '../errors/message.js';

/** The signed data: a file path, bytes, or a stream (streamed: constant memory for big images). */
export type SignedData = string | Uint8Array | ByteSource;

/** Public keys: armored key text, a keyring file path (armored or binary, e.g. `gpg --export`), bytes, or several. */
export type KeysInput = string | Uint8Array | readonly (string | Uint8Array)[];

/** A signature: armored text, a path to a `.sig`/`.asc` file, or the binary signature bytes. */
export type SignatureInput = string | Uint8Array;

export interface VerifyDetachedOptions {
  data: SignedData;
  signature: SignatureInput;
  keys: KeysInput;
  /** how to call the data in messages (defaults to the path, or `data`) */
  name?: string;
  /** check key validity at this time instead of now */
  date?: Date;
}

/** A good signature. */
export interface SignatureVerification {
  valid: true;
  /** the signing (sub)key's 16-hex-digit id */
  keyId: string;
  /** the fingerprint of the key (primary key) that made it */
  fingerprint: string;
  /** the key's primary user id, e.g. `Flatcar Buildbot <buildbot@flatcar-linux.org>` */
  signedBy?: string;
  created?: Date;
}

// openpgp is large (~250 ms to import here): load it only when something is verified, not at CLI start.
let openpgpModule: Promise<typeof OpenPGP> | undefined;
function loadOpenpgp(): Promise<typeof OpenPGP> {
  openpgpModule ??= import('openpgp');
  return openpgpModule;
}

const ARMOR = /-----BEGIN PGP [A-Z ]+-----[\s\S]*?-----END PGP [A-Z ]+-----/g;

function looksArmored(bytes: Uint8Array | string): boolean {
  const head =
    typeof bytes === 'string' ? bytes.slice(0, 200) : Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  return head.trimStart().startsWith('-----BEGIN PGP');
}

async function readKeysFrom(item: string | Uint8Array): Promise<OpenPGP.Key[]> {
  const openpgp = await loadOpenpgp();
  let bytes: Uint8Array | string = item;
  let where = 'the given key text';
  if (typeof item === 'string' && !looksArmored(item)) {
    where = item;
    try {
      bytes = await readFile(item);
    } catch (err) {
      throw new InputError({
        code: 'VERIFY_KEYS_UNREADABLE',
        message: `keyring ${item} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        hint: 'pass armored key text or the path of a keyring file (`gpg --export KEYID > keyring.gpg`)',
        cause: err,
      });
    }
  }
  try {
    if (looksArmored(bytes)) {
      const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
      const blocks = text.match(ARMOR) ?? [];
      const keys: OpenPGP.Key[] = [];
      // Concatenated armored blocks (several exported keys) each need their own parse.
      for (const block of blocks) keys.push(...(await openpgp.readKeys({ armoredKeys: block })));
      return keys;
    }
    return await openpgp.readKeys({ binaryKeys: typeof bytes === 'string' ? Buffer.from(bytes) : bytes });
  } catch (err) {
    throw new InputError({
      code: 'VERIFY_KEYS_INVALID',
      message: `${where} holds no usable OpenPGP public key: ${errorMessage(err)}`,
      hint: 'export the key with `gpg --export --armor KEYID`',
      cause: err,
    });
  }
}

/** Read public keys from armored text, keyring files (armored or binary) or bytes. */
export async function readKeyring(keys: KeysInput): Promise<OpenPGP.Key[]> {
  const items = Array.isArray(keys)
    ? (keys as readonly (string | Uint8Array)[])
    : [keys as string | Uint8Array];
  const out: OpenPGP.Key[] = [];
  for (const item of items) out.push(...(await readKeysFrom(item)));
  if (out.length === 0) {
    throw new InputError({
      code: 'VERIFY_KEYS_INVALID',
      message: 'no OpenPGP public keys were given',
      hint: 'pass --keys FILE',
    });
  }
  return out;
}

/** Parse a detached signature from armored text, a file path, or bytes. */
export async function readDetachedSignature(signature: SignatureInput): Promise<OpenPGP.Signature> {
  const openpgp = await loadOpenpgp();
  let bytes: string | Uint8Array = signature;
  if (typeof signature === 'string' && !looksArmored(signature)) {
    try {
      bytes = await readFile(signature);
    } catch (err) {
      throw new InputError({
        code: 'VERIFY_SIGNATURE_UNREADABLE',
        message: `signature file ${signature} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        hint: 'pass the path of the .sig/.asc file or the armored signature text',
        cause: err,
      });
    }
  }
  try {
    if (looksArmored(bytes)) {
      return await openpgp.readSignature({
        armoredSignature: typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'),
      });
    }
    return await openpgp.readSignature({
      binarySignature: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
    });
  } catch (err) {
    throw new VerifyError({
      code: VerifyErrorCode.BadSignature,
      message: `the signature is not a valid OpenPGP signature: ${errorMessage(err)}`,
      hint: 'download the .sig file again',
      cause: err,
    });
  }
}

function toWebStream(data: SignedData): Uint8Array | WebReadableStream<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string')
    return Readable.toWeb(
      createReadStream(data, { highWaterMark: 1 << 20 }),
    ) as WebReadableStream<Uint8Array>;
  if (data instanceof Readable) return Readable.toWeb(data) as WebReadableStream<Uint8Array>;
  if (typeof (data as WebReadableStream<Uint8Array>).getReader === 'function')
    return data as WebReadableStream<Uint8Array>;
  return Readable.toWeb(Readable.from(data as AsyncIterable<Uint8Array>)) as WebReadableStream<Uint8Array>;
}

/**
 * Verify a detached OpenPGP signature over data (streamed), as `gpg --verify data.sig data`
 * does. Succeeds when a signature by one of `keys` is good; throws VERIFY_UNKNOWN_KEY when no
 * signature is by a given key and VERIFY_BAD_SIGNATURE when it does not match the data.
 */
export async function verifyDetachedSignature(opts: VerifyDetachedOptions): Promise<SignatureVerification> {
  const name = opts.name ?? (typeof opts.data === 'string' ? opts.data : 'data');
  if (typeof opts.data === 'string') {
    try {
      await access(opts.data, constants.R_OK);
    } catch (err) {
      throw new InputError({
        code: 'VERIFY_DATA_UNREADABLE',
        message: `${opts.data} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        hint: 'pass the path of the signed file',
        cause: err,
      });
    }
  }
  const [keys, signature] = await Promise.all([
    readKeyring(opts.keys),
    readDetachedSignature(opts.signature),
  ]);
  const signingIds = signature.getSigningKeyIDs().map((k) => k.toHex());
  const known = signingIds.filter((id) => keys.some((k) => k.getKeyIDs().some((kid) => kid.toHex() === id)));
  if (known.length === 0) {
    throw new VerifyError({
      code: VerifyErrorCode.UnknownKey,
      message: `${name}: signed by key ${signingIds.join(', ') || '(none)'}, which is not among the given keys (${keys.map((k) => k.getKeyID().toHex()).join(', ')})`,
      hint: 'pass the public key that made the signature (and check that you trust it)',
      details: { file: name, signingKeyIds: signingIds },
    });
  }
  const openpgp = await loadOpenpgp();
  const message = await openpgp.createMessage({ binary: toWebStream(opts.data) });
  const result = await openpgp.verify({
    message,
    signature,
    verificationKeys: keys,
    format: 'binary',
    ...(opts.date ? { date: opts.date } : {}),
  });
  // The data streams through the hash only while someone reads it.
  const data = result.data as Uint8Array | WebReadableStream<Uint8Array>;
  if (!(data instanceof Uint8Array)) {
    const reader = data.getReader();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  }
  let lastError: unknown;
  for (const sig of result.signatures) {
    const keyId = sig.keyID.toHex();
    if (!known.includes(keyId)) continue;
    try {
      await sig.verified;
    } catch (err) {
      lastError = err;
      continue;
    }
    const key = keys.find((k) => k.getKeyIDs().some((kid) => kid.toHex() === keyId));
    const packet = (await sig.signature).packets[0];
    let signedBy: string | undefined;
    try {
      signedBy = (await key?.getPrimaryUser(opts.date))?.user.userID?.userID;
    } catch {
      signedBy = key?.getUserIDs()[0];
    }
    return {
      valid: true,
      keyId,
      fingerprint: key?.getFingerprint() ?? '',
      ...(signedBy ? { signedBy } : {}),
      ...(packet?.created ? { created: packet.created } : {}),
    };
  }
  const why = lastError instanceof Error ? lastError.message : 'no good signature';
  throw new VerifyError({
    code: VerifyErrorCode.BadSignature,
    message: `${name}: BAD signature (${why})`,
    hint: 'the file was modified or corrupted, or the key is expired or revoked; download it again',
    cause: lastError,
    details: { file: name, signingKeyIds: signingIds },
  });
}
