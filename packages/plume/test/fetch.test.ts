// plume fetch (gangue get) against a real HTTP server with Range, s3rver, Azurite and a file://
// store, with signatures made by the real gpg.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGcs } from '@mantle/test-utils/fake-gcs';
import { detachSign, makeGpgKey, removeGpgKey, type GpgKey } from '@mantle/test-utils/gpg';
import { openStore } from '@mantle/ore/storage';
import { serveFiles, type HttpFiles } from './helpers/http-files.js';
import { runPlume } from './helpers/run.js';
import { AZURITE_ACCOUNT, startStores, type Stores } from './helpers/stores.js';

let dir: string;
let srv: string;
let http: HttpFiles;
let key: GpgKey;
let other: GpgKey;
let keyFile: string;
let otherKeyFile: string;
let content: Buffer;
let stores: Stores;

const NAME = 'flatcar_production_image.bin.bz2';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plume-fetch-'));
  srv = join(dir, 'srv');
  await mkdir(join(srv, 'amd64/4081.2.0'), { recursive: true });
  content = randomBytes(2 * 1024 * 1024 + 17);
  const file = join(srv, 'amd64/4081.2.0', NAME);
  await writeFile(file, content);
  [key, other] = await Promise.all([
    makeGpgKey('Plume Test <plume@example.invalid>'),
    makeGpgKey('Other <o@example.invalid>'),
  ]);
  await detachSign(key, file, { armor: false });
  // a file whose signature does not match it
  await writeFile(join(srv, 'tampered.bin'), content);
  await detachSign(key, join(srv, 'tampered.bin'), { armor: false });
  const evil = Buffer.from(content);
  evil.writeUInt8(evil.readUInt8(1000) ^ 0xff, 1000);
  await writeFile(join(srv, 'tampered.bin'), evil);
  await writeFile(join(srv, 'unsigned.bin'), content);
  keyFile = join(dir, 'key.asc');
  otherKeyFile = join(dir, 'other.asc');
  await writeFile(keyFile, key.armoredPublicKey);
  await writeFile(otherKeyFile, other.armoredPublicKey);
  http = await serveFiles(srv);
  stores = await startStores({ buckets: ['builds'], containers: ['builds'] });
}, 120_000);

afterAll(async () => {
  await http?.close();
  await stores?.close();
  await removeGpgKey(key);
  await removeGpgKey(other);
  await rm(dir, { recursive: true, force: true });
});

// Buffer.equals: vitest's deep equality walks megabytes byte by byte.
const sameBytes = (a: Buffer, b: Buffer): boolean => a.equals(b);

/** `plume fetch <the signed image over http> OUT --verify-key KEY ...extra` */
const fetchImage = (out: string, ...extra: string[]) =>
  runPlume(['fetch', `${http.url}amd64/4081.2.0/${NAME}`, out, '--verify-key', keyFile, ...extra]);

const fileRequests = (name: string): { path: string; range?: string }[] =>
  http.requests.filter((r) => r.path.endsWith(name));

describe('plume fetch over http(s)', () => {
  it('fetches the .sig first, verifies, keeps no .sig by default, and keeps a verified file', async () => {
    const out = join(dir, 'o1');
    http.requests.length = 0;
    const r = await fetchImage(`${out}/`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bytes, verified, signed by Plume Test/);
    expect(http.requests.map((q) => q.path.split('/').pop())).toEqual([`${NAME}.sig`, NAME]);
    expect(sameBytes(await readFile(join(out, NAME)), content)).toBe(true);
    expect(await readdir(out)).toEqual([NAME]);

    // A second run verifies the local file against a fresh .sig and downloads nothing.
    http.requests.length = 0;
    const again = await fetchImage(out, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: true, bytes: content.length });
    expect(http.requests.map((q) => q.path.split('/').pop())).toEqual([`${NAME}.sig`]);
  });

  it('--keep-sig keeps the signature beside the file', async () => {
    const out = join(dir, 'o2', 'image.bz2');
    const r = await fetchImage(out, '--keep-sig');
    expect(r.code).toBe(0);
    expect(await readFile(`${out}.sig`)).toEqual(await readFile(join(srv, 'amd64/4081.2.0', `${NAME}.sig`)));
  });

  it('resumes a dropped transfer with Range and a partial file left by an earlier run', async () => {
    const out = join(dir, 'o3');
    await mkdir(out);
    // what a killed earlier run leaves: the first 300 000 bytes in the .part file
    await writeFile(join(out, `${NAME}.part`), content.subarray(0, 300_000));
    http.requests.length = 0;
    http.dropNext = { path: NAME, after: 500_000 };
    const r = await fetchImage(out, '--json', '--log-level', 'error');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ resumed: true, skipped: false, attempts: 2 });
    // the resumed request starts where the .part file ended after the drop (bytes in flight are lost)
    const ranges = fileRequests(NAME).map((q) => Number(/^bytes=(\d+)-$/.exec(q.range ?? '')?.[1]));
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBe(300_000);
    expect(ranges[1]).toBeGreaterThan(300_000);
    expect(ranges[1]).toBeLessThanOrEqual(800_000);
    expect(sameBytes(await readFile(join(out, NAME)), content)).toBe(true);
    expect(existsSync(join(out, `${NAME}.part`))).toBe(false);
  });

  it('a bad signature: exit 1, nothing under the final name and no partial file', async () => {
    const out = join(dir, 'o4');
    const r = await runPlume(['fetch', `${http.url}tampered.bin`, `${out}/`, '--verify-key', keyFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tampered\.bin: BAD signature/);
    expect(existsSync(out) ? await readdir(out) : []).toEqual([]);
  });

  it('a signature by another key: exit 1 naming the key', async () => {
    const out = join(dir, 'o5');
    const r = await runPlume([
      'fetch',
      `${http.url}amd64/4081.2.0/${NAME}`,
      `${out}/`,
      '--verify-key',
      otherKeyFile,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`signed by key ${key.keyId}`);
    expect(existsSync(join(out, NAME))).toBe(false);
  });

  it('no signature beside the file: exit 2 before the file is requested', async () => {
    http.requests.length = 0;
    const r = await runPlume(['fetch', `${http.url}unsigned.bin`, join(dir, 'o6/'), '--verify-key', keyFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unsigned\.bin\.sig: no signature \(HTTP 404\)/);
    expect(http.requests.map((q) => q.path)).toEqual(['/unsigned.bin.sig']);
  });

  it('nothing to verify with: exit 2 naming --verify-key', async () => {
    const r = await runPlume(['fetch', `${http.url}unsigned.bin`, join(dir, 'o7/')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --verify-key FILE/);
  });
});

describe('plume fetch from stores', () => {
  const sig = (): Promise<Buffer> => readFile(join(srv, 'amd64/4081.2.0', `${NAME}.sig`));
  const fetchFrom = (url: string, out: string) =>
    runPlume(['fetch', url, `${out}/`, '--verify-key', keyFile, ...stores.flags], { env: stores.env });

  it('file:// store', async () => {
    const out = join(dir, 'f1');
    const url = pathToFileURL(join(srv, 'amd64/4081.2.0', NAME)).href;
    const r = await runPlume(['fetch', url, `${out}/`, '--verify-key', keyFile, '--keep-sig']);
    expect(r.code).toBe(0);
    expect(sameBytes(await readFile(join(out, NAME)), content)).toBe(true);
    expect(await readFile(join(out, `${NAME}.sig`))).toEqual(await sig());
  });

  it('s3:// (s3rver) and azure:// (Azurite), tampered objects refused', async () => {
    const s3store = await stores.open('s3://builds/amd64/');
    const az = await stores.open(`azure://${AZURITE_ACCOUNT}/builds/amd64/`);
    for (const st of [s3store, az]) {
      await st.put(NAME, content);
      await st.put(`${NAME}.sig`, await sig());
      await st.put('evil.bin', await readFile(join(srv, 'tampered.bin')));
      await st.put('evil.bin.sig', await readFile(join(srv, 'tampered.bin.sig')));
    }
    for (const base of ['s3://builds/amd64/', `azure://${AZURITE_ACCOUNT}/builds/amd64/`]) {
      const out = join(dir, `st-${base.slice(0, 2)}`);
      const ok = await fetchFrom(`${base}${NAME}`, out);
      expect(ok.code).toBe(0);
      expect(sameBytes(await readFile(join(out, NAME)), content)).toBe(true);
      const bad = await fetchFrom(`${base}evil.bin`, out);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/BAD signature/);
      expect(await readdir(out)).toEqual([NAME]);
      const missing = await fetchFrom(`${base}nope.bin`, out);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/nope\.bin\.sig: no signature/);
    }
    await s3store.close();
    await az.close();
  });

  it('gs:// (the GCS JSON API server of test-utils, through the real Cloud Storage client)', async () => {
    const gcs = await startFakeGcs();
    try {
      gcs.createBucket('builds');
      const st = await openStore('gs://builds/amd64/', {
        gcs: { apiEndpoint: gcs.endpoint, projectId: 'p' },
      });
      await st.put(NAME, content);
      await st.put(`${NAME}.sig`, await sig());
      await st.close();
      const out = join(dir, 'gs');
      const gsFetch = (name: string) =>
        runPlume([
          'fetch',
          `gs://builds/amd64/${name}`,
          `${out}/`,
          '--verify-key',
          keyFile,
          '--gcs-endpoint',
          gcs.endpoint,
        ]);
      const ok = await gsFetch(NAME);
      expect(ok.code, ok.stderr).toBe(0);
      expect(sameBytes(await readFile(join(out, NAME)), content)).toBe(true);
      const missing = await gsFetch('nope.bin');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/nope\.bin\.sig: no signature/);
      expect(await readdir(out)).toEqual([NAME]);
    } finally {
      await gcs.close();
    }
  });
});
