import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifyError, verifyDetachedSignature } from '@mantle/core';
import { rejection } from './helpers/rejection.js';
import { detachSign, makeGpgKey, removeGpgKey, type GpgKey } from '@mantle/test-utils/gpg';

let dir: string;
let signer: GpgKey;
let stranger: GpgKey;
let data: string;
let tampered: string;
let armoredSig: string;
let binarySig: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-pgp-'));
  [signer, stranger] = await Promise.all([
    makeGpgKey('T <t@example.invalid>'),
    makeGpgKey('Other <o@example.invalid>'),
  ]);
  data = join(dir, 'image.bin');
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  await writeFile(data, bytes);
  armoredSig = await detachSign(signer, data, { armor: true });
  binarySig = await detachSign(signer, data, { armor: false });
  tampered = join(dir, 'tampered.bin');
  bytes[1_000_000] = (bytes[1_000_000] ?? 0) ^ 0x01; // one flipped bit
  await writeFile(tampered, bytes);
});

afterAll(async () => {
  await Promise.all([removeGpgKey(signer), removeGpgKey(stranger)]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('verifyDetachedSignature (signatures and keys made by real gpg)', () => {
  it('accepts an armored signature with an armored public key (text)', async () => {
    const res = await verifyDetachedSignature({
      data,
      signature: await readFile(armoredSig, 'utf8'),
      keys: signer.armoredPublicKey,
    });
    expect(res).toMatchObject({
      valid: true,
      keyId: signer.keyId,
      fingerprint: signer.fingerprint,
      signedBy: 'T <t@example.invalid>',
    });
    expect(res.created).toBeInstanceOf(Date);
  });

  it('accepts a binary signature file with a binary keyring file', async () => {
    const keyring = join(dir, 'keyring.gpg');
    await writeFile(keyring, signer.binaryPublicKey);
    const res = await verifyDetachedSignature({ data, signature: binarySig, keys: keyring });
    expect(res.fingerprint).toBe(signer.fingerprint);
  });

  it('finds the signer in keyrings holding several keys (armored blocks and binary concatenation)', async () => {
    const armoredRing = join(dir, 'ring.asc');
    await writeFile(armoredRing, stranger.armoredPublicKey + signer.armoredPublicKey);
    expect((await verifyDetachedSignature({ data, signature: armoredSig, keys: armoredRing })).keyId).toBe(
      signer.keyId,
    );
    const binaryRing = Buffer.concat([stranger.binaryPublicKey, signer.binaryPublicKey]);
    expect((await verifyDetachedSignature({ data, signature: binarySig, keys: binaryRing })).keyId).toBe(
      signer.keyId,
    );
    expect(
      (
        await verifyDetachedSignature({
          data,
          signature: binarySig,
          keys: [stranger.armoredPublicKey, signer.binaryPublicKey],
        })
      ).valid,
    ).toBe(true);
  });

  it('verifies bytes and streams as well as paths', async () => {
    const bytes = await readFile(data);
    expect(
      (await verifyDetachedSignature({ data: bytes, signature: armoredSig, keys: signer.armoredPublicKey }))
        .valid,
    ).toBe(true);
    const stream = createReadStream(data);
    expect(
      (
        await verifyDetachedSignature({
          data: stream,
          signature: await readFile(binarySig),
          keys: signer.armoredPublicKey,
          name: 'stream',
        })
      ).valid,
    ).toBe(true);
  });

  it('rejects a tampered file: VERIFY_BAD_SIGNATURE, exit 1, naming the file', async () => {
    const err = await rejection(
      verifyDetachedSignature({ data: tampered, signature: armoredSig, keys: signer.armoredPublicKey }),
    );
    expect(err).toBeInstanceOf(VerifyError);
    expect(err.code).toBe('VERIFY_BAD_SIGNATURE');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(tampered);
    const asStream = await rejection(
      verifyDetachedSignature({
        data: createReadStream(tampered),
        signature: binarySig,
        keys: signer.armoredPublicKey,
        name: 'tampered',
      }),
    );
    expect(asStream.code).toBe('VERIFY_BAD_SIGNATURE');
  });

  it('rejects a signature by a key that is not given: VERIFY_UNKNOWN_KEY', async () => {
    const err = await rejection(
      verifyDetachedSignature({ data, signature: armoredSig, keys: stranger.armoredPublicKey }),
    );
    expect(err.code).toBe('VERIFY_UNKNOWN_KEY');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(data);
    expect(err.message).toContain(signer.keyId);
  });

  it('a signature by the wrong key over the right data still fails', async () => {
    const otherSig = await detachSign(stranger, data, { armor: true, out: join(dir, 'other.asc') });
    const err = await rejection(
      verifyDetachedSignature({ data, signature: otherSig, keys: signer.armoredPublicKey }),
    );
    expect(err.code).toBe('VERIFY_UNKNOWN_KEY');
  });

  it('garbage signatures, garbage keys and missing files are reported by what they are', async () => {
    const garbage = await rejection(
      verifyDetachedSignature({
        data,
        signature: Buffer.from('not a signature'),
        keys: signer.armoredPublicKey,
      }),
    );
    expect(garbage.code).toBe('VERIFY_BAD_SIGNATURE');
    const badKeys = await rejection(
      verifyDetachedSignature({ data, signature: armoredSig, keys: Buffer.from('nope') }),
    );
    expect(badKeys.code).toBe('VERIFY_KEYS_INVALID');
    expect(badKeys.exitCode).toBe(2);
    const noKeyFile = await rejection(
      verifyDetachedSignature({ data, signature: armoredSig, keys: join(dir, 'missing.gpg') }),
    );
    expect(noKeyFile.code).toBe('VERIFY_KEYS_UNREADABLE');
    const noData = await rejection(
      verifyDetachedSignature({
        data: join(dir, 'missing.bin'),
        signature: armoredSig,
        keys: signer.armoredPublicKey,
      }),
    );
    expect(noData.code).toBe('VERIFY_DATA_UNREADABLE');
    expect(noData.message).toContain('missing.bin');
  });
});
