import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSums, verifyDetachedSignature } from '@mantle/core/verify';
import { openStore } from '@mantle/ore/storage';
import { makeGpgKey, removeGpgKey, type GpgKey } from '@mantle/test-utils/gpg';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '@mantle/test-utils/s3rver';
import { bakery, ls, makeTree, requireBuilt, sampleTree, tempDirs } from './helpers.js';

const tmp = tempDirs();
let tree: string;
let rel: string;
let s3: S3rverHandle;
let key: GpgKey;

interface Published {
  dest: string;
  objects: { key: string; action: string }[];
  sums: { file: string; hash: string }[];
  kept: string[];
  signed: boolean;
}

beforeAll(async () => {
  await requireBuilt();
  tree = await makeTree(join(await tmp.make('tree'), 'src'), sampleTree('pub'));
  rel = await tmp.make('rel');
  for (const v of ['1.0', '1.1']) {
    const r = await bakery(['create', 'hello', '--from', tree, '--version', v, '--out', rel]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  [s3, key] = await Promise.all([
    startS3rver(['sysexts']),
    makeGpgKey('Bakery Test <bakery@example.invalid>'),
  ]);
});
afterAll(async () => {
  await s3?.close();
  await removeGpgKey(key);
  await tmp.cleanup();
});

describe('bakery sysupdate', () => {
  it('writes NAME.conf and noop.conf (or .transfer) with the sysext-bakery layout', async () => {
    const r = await bakery([
      'sysupdate',
      'hello',
      '--base-url',
      'https://example.com/sysexts',
      '--out',
      rel,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      (JSON.parse(r.stdout) as { files: { installTo: string }[] }).files.map((f) => f.installTo),
    ).toEqual(['/etc/sysupdate.hello.d/hello.conf', '/etc/sysupdate.d/noop.conf']);
    const conf = await readFile(join(rel, 'hello.conf'), 'utf8');
    expect(conf).toContain(
      '[Source]\nType=url-file\nPath=https://example.com/sysexts/\nMatchPattern=hello-@v-%a.raw\n',
    );
    expect(conf).toContain('Path=/opt/extensions/hello\n');
    expect(conf).toContain('CurrentSymlink=/etc/extensions/hello.raw\n');
    expect(await readFile(join(rel, 'noop.conf'), 'utf8')).toContain('MatchPattern=invalid@v.raw');
    const t = await tmp.make('transfer');
    expect(
      (
        await bakery([
          'sysupdate',
          'hello',
          '--base-url',
          'https://x/',
          '--suffix',
          'transfer',
          '--verify',
          '--out',
          t,
        ])
      ).code,
    ).toBe(0);
    expect(await ls(t)).toEqual(['hello.transfer', 'noop.transfer']);
    expect(await readFile(join(t, 'hello.transfer'), 'utf8')).toContain('Verify=true');
    const bad = await bakery(['sysupdate', 'hello', '--base-url', 'ftp://x', '--out', t]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--base-url "ftp://x"');
  });
});

describe('bakery publish', () => {
  it('publishes to file:// in the flat layout, idempotently, merging SHA256SUMS with what is there', async () => {
    const dest = await tmp.make('dest');
    const first = await bakery(['publish', rel, `file://${dest}`, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const p1 = JSON.parse(first.stdout) as Published;
    expect(p1.objects.map((o) => `${o.key}:${o.action}`)).toEqual([
      'hello-1.0-x86-64.raw:uploaded',
      'hello-1.1-x86-64.raw:uploaded',
      'hello.conf:uploaded',
      'noop.conf:uploaded',
      'SHA256SUMS:uploaded',
    ]);
    expect(await ls(dest)).toEqual([
      'SHA256SUMS',
      'hello-1.0-x86-64.raw',
      'hello-1.1-x86-64.raw',
      'hello.conf',
      'noop.conf',
    ]);
    expect(await readFile(join(dest, 'SHA256SUMS'), 'utf8')).toBe(
      await readFile(join(rel, 'SHA256SUMS'), 'utf8'),
    );

    const again = JSON.parse(
      (await bakery(['publish', rel, `file://${dest}`, '--json'])).stdout,
    ) as Published;
    expect(again.objects.every((o) => o.action === 'skipped')).toBe(true);

    // a new release directory with only 1.2: the published index keeps 1.0 and 1.1
    const next = await tmp.make('next');
    expect((await bakery(['create', 'hello', '--from', tree, '--version', '1.2', '--out', next])).code).toBe(
      0,
    );
    const merged = JSON.parse((await bakery(['publish', next, dest, '--json'])).stdout) as Published;
    expect(merged.kept).toEqual(['hello-1.0-x86-64.raw', 'hello-1.1-x86-64.raw']);
    const sums = parseSums(await readFile(join(dest, 'SHA256SUMS'), 'utf8')).map((e) => e.file);
    expect(sums).toEqual(['hello-1.0-x86-64.raw', 'hello-1.1-x86-64.raw', 'hello-1.2-x86-64.raw']);
  });

  it('refuses an image that no longer matches SHA256SUMS (exit 1) and uploads nothing', async () => {
    const dir = await tmp.make('tampered');
    expect((await bakery(['create', 'hello', '--from', tree, '--version', '2.0', '--out', dir])).code).toBe(
      0,
    );
    await writeFile(join(dir, 'hello-2.0-x86-64.raw'), 'not the image');
    const dest = await tmp.make('dest');
    const r = await bakery(['publish', dir, dest]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hello-2.0-x86-64.raw: sha256');
    expect(await ls(dest)).toEqual([]);
    const none = await bakery(['publish', await tmp.make('empty'), dest]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('holds no .raw images');
  });

  it('publishes to S3 (s3rver) with a gpg-signed SHA256SUMS.gpg that verifies, and skips on a rerun', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
    const args = [
      'publish',
      rel,
      's3://sysexts/flatcar/',
      '--endpoint',
      s3.endpoint,
      '--region',
      'us-east-1',
      '--sign-key',
      key.fingerprint,
      '--gpg-homedir',
      key.home,
      '--json',
    ];
    const r = await bakery(args, { env });
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as Published;
    expect(p.signed).toBe(true);
    expect(p.objects.map((o) => o.key)).toEqual([
      'hello-1.0-x86-64.raw',
      'hello-1.1-x86-64.raw',
      'hello.conf',
      'noop.conf',
      'SHA256SUMS',
      'SHA256SUMS.gpg',
    ]);

    const store = await openStore('s3://sysexts/flatcar/', {
      s3: { endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', ...S3RVER_CREDENTIALS },
    });
    try {
      const sums = await buffer(await store.get('SHA256SUMS'));
      const sig = await buffer(await store.get('SHA256SUMS.gpg'));
      const v = await verifyDetachedSignature({
        data: sums,
        signature: new Uint8Array(sig),
        keys: key.armoredPublicKey,
        name: 'SHA256SUMS',
      });
      expect(v.fingerprint).toBe(key.fingerprint);
      expect(sums.toString('utf8')).toBe(await readFile(join(rel, 'SHA256SUMS'), 'utf8'));
    } finally {
      await store.close();
    }
    const again = JSON.parse((await bakery(args, { env })).stdout) as Published;
    expect(again.objects.map((o) => o.action)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
  });
});
