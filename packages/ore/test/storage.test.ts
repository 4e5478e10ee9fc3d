// Object storage against real components: s3rver (S3 API), Azurite (Azure Blob API), a temp
// directory (file store) and the GCS JSON API served by a local test server (@mantle/test-utils/fake-gcs),
// each driven through the real SDK client the store uses.
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MantleError } from '@mantle/core/errors';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  azuriteService,
  startAzurite,
  type AzuriteHandle,
} from '@mantle/test-utils/azurite';
import { startFakeGcs, type FakeGcs } from '@mantle/test-utils/fake-gcs';
import { rejectionOf } from '@mantle/test-utils/rejection';
import { s3rverOptions, startS3rver, type S3rverHandle } from '@mantle/test-utils/s3rver';
import { isAzureStore, listAll, openStore, type ObjectStore } from '@mantle/ore/storage';

const rejection = rejectionOf(MantleError);

const MIB = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function httpStatus(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject);
    }).on('error', reject);
  });
}

/** The errors of stat, put and list on a store that cannot work (no bucket, wrong credentials). */
async function failures(store: ObjectStore): Promise<MantleError[]> {
  const calls = [() => store.stat('k'), () => store.put('k', Buffer.from('x')), () => listAll(store, '')];
  const errors: MantleError[] = [];
  for (const call of calls) errors.push(await rejection(call()));
  return errors;
}

function assertProgress(calls: Array<[number, number | undefined]>, total: number): void {
  expect(calls.length).toBeGreaterThan(0);
  for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThan(calls[i - 1]![0]);
  expect(calls.at(-1)).toEqual([total, total]);
}

let work: string;
let s3: S3rverHandle;
let azurite: AzuriteHandle;
let gcs: FakeGcs;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mantle-storage-'));
  [s3, azurite, gcs] = await Promise.all([startS3rver(['bkt']), startAzurite(), startFakeGcs()]);
  gcs.createBucket('bkt');
  // Azurite starts empty: make the container through the SDK, as an operator would.
  const svc = await azuriteService(azurite);
  await svc.getContainerClient('ctr').create();
  // makePublic changes a whole container's access level, so it gets a container of its own.
  await svc.getContainerClient('pubctr').create();
});

afterAll(async () => {
  await Promise.all([s3?.close(), azurite?.close(), gcs?.close()]);
  if (work) await rm(work, { recursive: true, force: true });
});

interface Backend {
  name: string;
  open(): Promise<ObjectStore>;
  /** how many uploads the service has seen for a full key, to prove a skip sent nothing */
  uploads(store: ObjectStore, key: string): Promise<number | string>;
  keepsCacheControl: boolean;
}

const backends: Backend[] = [
  {
    name: 'file store (temp dir)',
    open: () => openStore(join(work, 'files')),
    // The inode changes on every atomic replace; equal inode + mtime means no write happened.
    uploads: async (store, key) => {
      const st = await stat(join(store.bucket, store.objectName(key)));
      return `${st.ino}:${st.mtimeMs}`;
    },
    keepsCacheControl: false,
  },
  {
    name: 's3 (s3rver)',
    open: () => openStore('s3://bkt/base/dir', { s3: s3rverOptions(s3) }),
    uploads: (store, key) =>
      Promise.resolve(
        s3.events.filter((e) => /^ObjectCreated:(Put|Post)$/.test(e.name) && e.key === store.objectName(key))
          .length,
      ),
    keepsCacheControl: true,
  },
  {
    name: 'gs (GCS JSON API served by a local test server)',
    open: () => openStore('gs://bkt/base/dir', { gcs: { apiEndpoint: gcs.endpoint, projectId: 'test' } }),
    uploads: (_store, _key) => Promise.resolve(gcs.stats.simpleUploads + gcs.stats.resumableStarts),
    keepsCacheControl: true,
  },
  {
    name: 'azure (Azurite)',
    open: () =>
      openStore(`azure://${AZURITE_ACCOUNT}/ctr/base/dir`, {
        azure: { endpoint: azurite.endpoint, accountKey: AZURITE_KEY },
      }),
    // Azure gives every write a new ETag.
    uploads: async (store, key) => (await store.stat(key))?.etag ?? 'missing',
    keepsCacheControl: true,
  },
];

describe.each(backends)('ObjectStore contract: $name', (b) => {
  let store: ObjectStore;
  const data = randomBytes(300 * 1024);

  beforeAll(async () => {
    store = await b.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  it('puts a buffer, gets it back byte-identical and stats it', async () => {
    const r = await store.put('a/one.bin', data, {
      cacheControl: 'max-age=60',
      contentType: 'application/x-test',
    });
    expect(r).toMatchObject({ key: 'a/one.bin', skipped: false, size: data.length, sha256: sha(data) });
    expect(sha(await readAll(await store.get('a/one.bin')))).toBe(sha(data));
    const info = await store.stat('a/one.bin', { sha256: true });
    expect(info).toMatchObject({ key: 'a/one.bin', size: data.length, sha256: sha(data) });
    expect(info?.modified).toBeInstanceOf(Date);
    if (b.keepsCacheControl)
      expect(info).toMatchObject({ contentType: 'application/x-test', cacheControl: 'max-age=60' });
    expect(await store.stat('a/missing.bin')).toBeUndefined();
  });

  it('puts a file and a stream; progress rises monotonically to the total', async () => {
    const file = join(work, `src-${b.name.split(' ')[0]}.bin`);
    const fileData = randomBytes(2 * MIB + 123);
    await writeFile(file, fileData);
    const calls: Array<[number, number | undefined]> = [];
    const r = await store.put('a/two.bin', file, { onProgress: (n, t) => calls.push([n, t]) });
    expect(r.sha256).toBe(sha(fileData));
    assertProgress(calls, fileData.length);

    const streamCalls: Array<[number, number | undefined]> = [];
    await store.put('b/three.txt', Readable.from([data.subarray(0, 1000), data.subarray(1000, 5000)]), {
      size: 5000,
      onProgress: (n, t) => streamCalls.push([n, t]),
    });
    assertProgress(streamCalls, 5000);
    expect(sha(await readAll(await store.get('b/three.txt')))).toBe(sha(data.subarray(0, 5000)));
    expect((await store.stat('b/three.txt'))?.contentType).toMatch(/^text\/plain/);
    expect(sha(await readAll(await store.get('a/two.bin')))).toBe(sha(fileData));
  });

  it('lists by prefix, recursively and one level at a time', async () => {
    const all = await listAll(store, '', { recursive: true });
    expect(all.map((o) => o.key)).toEqual(['a/one.bin', 'a/two.bin', 'b/three.txt']);
    expect(all[0]?.size).toBe(data.length);
    expect((await listAll(store, 'a/', { recursive: true })).map((o) => o.key)).toEqual([
      'a/one.bin',
      'a/two.bin',
    ]);
    expect((await listAll(store, 'a/t', { recursive: true })).map((o) => o.key)).toEqual(['a/two.bin']);
    const top = await listAll(store, '');
    expect(top.map((o) => [o.key, o.isPrefix ?? false])).toEqual([
      ['a/', true],
      ['b/', true],
    ]);
    expect(await listAll(store, 'zzz/', { recursive: true })).toEqual([]);
  });

  it('skips an identical rerun without uploading, and uploads changed content', async () => {
    const before = await b.uploads(store, 'a/one.bin');
    const again = await store.put('a/one.bin', data, { skipIfSame: true });
    expect(again).toMatchObject({ skipped: true, size: data.length, sha256: sha(data) });
    expect(await b.uploads(store, 'a/one.bin')).toEqual(before);

    const changed = Buffer.from(data);
    changed[0] = changed[0]! ^ 0xff;
    const third = await store.put('a/one.bin', changed, { skipIfSame: true });
    expect(third.skipped).toBe(false);
    expect(await b.uploads(store, 'a/one.bin')).not.toEqual(before);
    expect(sha(await readAll(await store.get('a/one.bin')))).toBe(sha(changed));
    await store.put('a/one.bin', data);
  });

  it('updates changed headers in place on a skipped rerun', async () => {
    const r = await store.put('a/one.bin', data, {
      skipIfSame: true,
      cacheControl: 'max-age=5',
      contentType: 'application/x-other',
    });
    expect(r.skipped).toBe(true);
    if (!b.keepsCacheControl) return;
    expect(r.metadataUpdated).toBe(true);
    const info = await store.stat('a/one.bin');
    expect(info).toMatchObject({
      cacheControl: 'max-age=5',
      contentType: 'application/x-other',
      sha256: sha(data),
      size: data.length,
    });
    expect(sha(await readAll(await store.get('a/one.bin')))).toBe(sha(data));
    const again = await store.put('a/one.bin', data, { skipIfSame: true, cacheControl: 'max-age=5' });
    expect(again.metadataUpdated).toBeUndefined();
  });

  it('rejects with the error of a source stream that fails mid-way and leaves no object', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(64 * 1024);
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('source broke');
    }
    const err = await rejection(store.put('d/broken.bin', Readable.from(failing())));
    expect(err.message).toContain('source broke');
    expect(await store.stat('d/broken.bin')).toBeUndefined();
  });

  it('copies and deletes', async () => {
    await store.copy('a/one.bin', 'c/copy.bin');
    expect(sha(await readAll(await store.get('c/copy.bin')))).toBe(sha(data));
    expect((await store.stat('c/copy.bin', { sha256: true }))?.sha256).toBe(sha(data));
    await store.delete('c/copy.bin');
    expect(await store.stat('c/copy.bin')).toBeUndefined();
    await store.delete('c/copy.bin'); // deleting what is gone is fine
    expect((await listAll(store, '')).map((o) => o.key)).toEqual(['a/', 'b/']);
  });

  it('reports a missing object as STORAGE_NOT_FOUND naming it', async () => {
    const err = await rejection(store.get('nope/none.bin'));
    expect(err.code).toBe('STORAGE_NOT_FOUND');
    expect(err.message).toContain('nope/none.bin');
    expect((await rejection(store.copy('nope/none.bin', 'x.bin'))).code).toBe('STORAGE_NOT_FOUND');
  });

  it('rejects keys that escape the store', async () => {
    for (const key of ['../up.bin', '/abs.bin', 'a/../../b', '']) {
      expect((await rejection(store.put(key, data))).code).toBe('STORAGE_BAD_KEY');
    }
  });
});

describe('file store specifics', () => {
  it('leaves neither a temp file nor a target when the source stream fails mid-way', async () => {
    const dir = join(work, 'atomic');
    const store = await openStore(`file://${dir}`);
    await store.put('keep.bin', Buffer.from('old'));
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(256 * 1024);
      await new Promise((r) => setTimeout(r, 5)); // let the first chunk reach the temp file
      yield randomBytes(256 * 1024);
      throw new Error('disk on fire');
    }
    const err = await rejection(store.put('keep.bin', Readable.from(failing())));
    expect(err.message).toContain('disk on fire');
    const err2 = await rejection(store.put('new/fresh.bin', Readable.from(failing())));
    expect(err2.code).toBe('STORAGE_OPERATION_FAILED');
    expect((await readdir(dir, { recursive: true })).sort()).toEqual(['keep.bin']);
    expect((await readAll(await store.get('keep.bin'))).toString()).toBe('old');
  });

  it('stops on abort and cleans up its temp file', async () => {
    const dir = join(work, 'abort');
    const store = await openStore(dir);
    const ac = new AbortController();
    async function* slow(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 100; i++) {
        yield Buffer.alloc(64 * 1024, i);
        await new Promise((r) => setTimeout(r, 2));
        if (i === 3) ac.abort(new Error('user pressed ^C'));
      }
    }
    await expect(store.put('x.bin', Readable.from(slow()), { signal: ac.signal })).rejects.toThrow(
      'user pressed ^C',
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects a stream whose declared sha256 is wrong and keeps the old content', async () => {
    const store = await openStore(join(work, 'atomic'));
    const err = await rejection(
      store.put('keep.bin', Readable.from([Buffer.from('new')]), { sha256: '0'.repeat(64) }),
    );
    expect(err.code).toBe('STORAGE_SHA256_MISMATCH');
    expect((await readAll(await store.get('keep.bin'))).toString()).toBe('old');
  });

  it('keeps every key inside the store: links are followed as in a chroot for reads and refused for writes', async () => {
    const dir = join(work, 'linked');
    const outside = join(work, 'outside');
    await mkdir(join(dir, '1.2.3'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(dir, '1.2.3', 'image.bin'), 'image');
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await symlink('1.2.3', join(dir, 'current')); // a mirror's usual alias
    await symlink(outside, join(dir, 'escape')); // absolute: resolves to <store>/<outside>, absent
    await symlink('../outside', join(dir, 'up')); // relative: `..` stops at the store's root
    const store = await openStore(dir);
    expect((await readAll(await store.get('current/image.bin'))).toString()).toBe('image');
    expect(await store.stat('escape/secret.txt')).toBeUndefined();
    expect(await store.stat('up/secret.txt')).toBeUndefined();
    expect((await rejection(store.get('up/secret.txt'))).code).toBe('STORAGE_NOT_FOUND');
    const keys = (await listAll(store, '', { recursive: true })).map((o) => o.key);
    expect(keys).toContain('current/image.bin');
    expect(keys.some((k) => k.includes('secret'))).toBe(false);
    for (const write of [
      () => store.put('escape/secret.txt', Buffer.from('owned')),
      () => store.put('current/image.bin', Buffer.from('owned')),
      () => store.delete('up/secret.txt'),
      () => store.copy('current/image.bin', 'escape/copy.bin'),
    ]) {
      const err = await rejection(write());
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain('symbolic link');
    }
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await readFile(join(dir, '1.2.3', 'image.bin'), 'utf8')).toBe('image');
  });

  it('gives file: URLs and treats makePublic as a no-op', async () => {
    const store = await openStore(join(work, 'atomic'));
    expect(store.url('keep.bin')).toBe(`file://${join(work, 'atomic', 'keep.bin')}`);
    await store.makePublic('keep.bin');
  });
});

describe('s3 specifics (s3rver)', () => {
  const opts = () => ({ s3: s3rverOptions(s3) });

  it('uploads 12 MiB as a multipart upload in 5 MiB parts with progress, and skips it on rerun', async () => {
    const store = await openStore('s3://bkt/mp', opts());
    const file = join(work, 'big12.bin');
    const big = randomBytes(12 * MIB);
    await writeFile(file, big);
    const calls: Array<[number, number | undefined]> = [];
    const r = await store.put('big.bin', file, {
      partSize: 5 * MIB,
      onProgress: (n, t) => calls.push([n, t]),
    });
    const parts = s3.requests.filter(
      (q) => q.method === 'PUT' && q.url.includes('/bkt/mp/big.bin?') && q.url.includes('partNumber='),
    );
    expect(parts).toHaveLength(3);
    expect(r.skipped).toBe(false);
    assertProgress(calls, big.length);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(s3.events.filter((e) => e.key === 'mp/big.bin').map((e) => e.name)).toEqual([
      'ObjectCreated:Post',
    ]);
    const info = await store.stat('big.bin');
    expect(info).toMatchObject({ size: big.length, sha256: sha(big) });
    expect(sha(await readAll(await store.get('big.bin')))).toBe(sha(big));
    const again = await store.put('big.bin', file, { partSize: 5 * MIB, skipIfSame: true });
    expect(again.skipped).toBe(true);
    expect(s3.events.filter((e) => e.key === 'mp/big.bin')).toHaveLength(1);
    await store.close();
  });

  it('names a missing bucket', async () => {
    const store = await openStore('s3://no-such-bucket/x', opts());
    for (const err of await failures(store)) {
      expect(err.code).toBe('STORAGE_BUCKET_NOT_FOUND');
      expect(err.message).toContain('s3://no-such-bucket/');
    }
  });

  // s3rver checks the access key id but not V4 signatures, so the wrong credential here is the key id.
  it('reports wrong credentials without the secret', async () => {
    const secret = 'wr0ngSecretValue/abcdefghijklmnop';
    const store = await openStore('s3://bkt/base', {
      s3: { ...s3rverOptions(s3), accessKeyId: 'NOTS3RVER', secretAccessKey: secret, maxAttempts: 1 },
    });
    for (const err of await failures(store)) {
      expect(err.code).toBe('STORAGE_ACCESS_DENIED');
      expect(err.exitCode).toBe(3);
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(err.toJSON())).not.toContain(secret);
    }
  });

  it("turns s3rver's missing object ACL support into STORAGE_NOT_SUPPORTED and builds path-style URLs", async () => {
    const store = await openStore('s3://bkt/base/dir', opts());
    await store.put('pub.txt', Buffer.from('hello'), { public: true });
    const err = await rejection(store.makePublic('pub.txt'));
    expect(err.code).toBe('STORAGE_NOT_SUPPORTED');
    expect(store.url('pub dir/a+b.txt')).toBe(`${s3.endpoint}/bkt/base/dir/pub%20dir/a%2Bb.txt`);
    const plain = await openStore('s3://bkt/p', { s3: { region: 'eu-west-1' } });
    expect(plain.url('k')).toBe('https://bkt.s3.eu-west-1.amazonaws.com/p/k');
  });
});

describe('gs specifics (GCS JSON API served by a local test server)', () => {
  it('uploads resumably in chunks, validates crc32c both ways, and makes an object public', async () => {
    const store = await openStore('gs://bkt/res', {
      gcs: { apiEndpoint: gcs.endpoint, resumableThreshold: 1 * MIB },
    });
    const big = randomBytes(3 * MIB + 17);
    const chunksBefore = gcs.stats.resumableChunks;
    const calls: Array<[number, number | undefined]> = [];
    await store.put('big.bin', big, { partSize: 1 * MIB, onProgress: (n, t) => calls.push([n, t]) });
    expect(gcs.stats.resumableChunks - chunksBefore).toBe(4);
    assertProgress(calls, big.length);
    expect(await store.stat('big.bin')).toMatchObject({
      size: big.length,
      sha256: sha(big),
      md5: createHash('md5').update(big).digest('base64'),
    });
    expect(sha(await readAll(await store.get('big.bin')))).toBe(sha(big));

    expect((await httpStatus(store.url('big.bin'))).status).toBe(403);
    await store.makePublic('big.bin');
    const pub = await httpStatus(store.url('big.bin'));
    expect(pub.status).toBe(200);
    expect(sha(pub.body)).toBe(sha(big));
  });

  it('names a missing bucket', async () => {
    const store = await openStore('gs://nobucket/x', { gcs: { apiEndpoint: gcs.endpoint } });
    for (const err of await failures(store)) {
      expect(err.code).toBe('STORAGE_BUCKET_NOT_FOUND');
      expect(err.message).toContain('gs://nobucket/');
    }
  });
});

describe('azure specifics (Azurite)', () => {
  const openAz = (url = `azure://${AZURITE_ACCOUNT}/ctr/az`, extra = {}) =>
    openStore(url, { azure: { endpoint: azurite.endpoint, accountKey: AZURITE_KEY, ...extra } });

  it('uploads a large file as several blocks in parallel with progress', async () => {
    const store = await openAz();
    const file = join(work, 'az12.bin');
    const big = randomBytes(12 * MIB);
    await writeFile(file, big);
    const calls: Array<[number, number | undefined]> = [];
    await store.put('big.bin', file, {
      partSize: 4 * MIB,
      concurrency: 3,
      onProgress: (n, t) => calls.push([n, t]),
    });
    assertProgress(calls, big.length);
    const blob = (await azuriteService(azurite)).getContainerClient('ctr').getBlockBlobClient('az/big.bin');
    expect((await blob.getBlockList('committed')).committedBlocks).toHaveLength(3);
    expect(sha(await readAll(await store.get('big.bin')))).toBe(sha(big));
    expect((await store.stat('big.bin'))?.sha256).toBe(sha(big));
  });

  it('uploads a sparse disk image as a page blob sending only the non-zero ranges', async () => {
    const store = await openAz();
    if (!isAzureStore(store)) throw new Error('not an azure store');
    const file = join(work, 'disk.vhd');
    await writeFile(file, '');
    await truncate(file, 8 * MIB);
    const fh = await open(file, 'r+');
    const a = randomBytes(4096);
    const c = randomBytes(512);
    await fh.write(a, 0, a.length, 2.5 * MIB);
    await fh.write(c, 0, c.length, 8 * MIB - 512);
    await fh.close();
    const calls: Array<[number, number | undefined]> = [];
    const r = await store.putPageBlob('disk.vhd', file, {
      chunkSize: MIB,
      onProgress: (n, t) => calls.push([n, t]),
    });
    assertProgress(calls, 8 * MIB);
    expect(calls.length).toBe(8);
    const image = await readFile(file);
    expect(r.sha256).toBe(sha(image));
    expect(sha(await readAll(await store.get('disk.vhd')))).toBe(sha(image));
    const pageBlob = (await azuriteService(azurite))
      .getContainerClient('ctr')
      .getPageBlobClient('az/disk.vhd');
    const ranges = (await pageBlob.getPageRanges()).pageRange ?? [];
    // Two 1 MiB chunks hold data (at 2.5 MiB and at the end); the other six were never sent.
    // (The SDK derives count from an inclusive end, so it may be one short: compare in MiB.)
    expect(ranges.map((rg) => [rg.offset, Math.round((rg.count ?? 0) / MIB)])).toEqual([
      [2 * MIB, 1],
      [7 * MIB, 1],
    ]);
    expect((await store.putPageBlob('disk.vhd', file, { skipIfSame: true })).skipped).toBe(true);
    await truncate(file, 8 * MIB - 1);
    expect((await rejection(store.putPageBlob('odd.vhd', file))).code).toBe('STORAGE_PAGE_BLOB_UNALIGNED');
  });

  it('resumes a killed page blob upload from the pages the blob already has', async () => {
    const store = await openAz();
    if (!isAzureStore(store)) throw new Error('not an azure store');
    const file = join(work, 'resume.vhd');
    const image = randomBytes(6 * MIB);
    await writeFile(file, image);
    // killed after the first pages went out
    const ac = new AbortController();
    const killed = await rejection(
      store.putPageBlob('resume.vhd', file, {
        chunkSize: MIB,
        concurrency: 1,
        signal: ac.signal,
        onProgress: (n) => {
          if (n >= 2 * MIB) ac.abort();
        },
      }),
    );
    expect(killed).toBeDefined();
    const pageBlob = (await azuriteService(azurite))
      .getContainerClient('ctr')
      .getPageBlobClient('az/resume.vhd');
    const before = (await pageBlob.getPageRanges()).pageRange ?? [];
    expect(before.length).toBeGreaterThan(0);
    // Mark the pages already there: a resumed upload leaves them alone, a fresh one would rewrite them.
    const marker = Buffer.alloc(512, 0xee);
    await pageBlob.uploadPages(marker, 0, 512);
    const r = await store.putPageBlob('resume.vhd', file, { chunkSize: MIB, resume: true });
    const got = await readAll(await store.get('resume.vhd'));
    expect(got.subarray(0, 512).equals(marker)).toBe(true);
    expect(got.subarray(MIB).equals(image.subarray(MIB))).toBe(true);
    expect(r.sha256).toBe(sha(image));
    // finished: a later resume of another file of the same name starts over
    const other = join(work, 'resume2.vhd');
    await writeFile(other, randomBytes(6 * MIB));
    await store.putPageBlob('resume.vhd', other, { chunkSize: MIB, resume: true });
    expect(sha(await readAll(await store.get('resume.vhd')))).toBe(sha(await readFile(other)));
  });

  it('refuses makePublic on a private container with a hint, and sets blob access when allowed', async () => {
    const url = `azure://${AZURITE_ACCOUNT}/pubctr/az`;
    const store = await openAz(url);
    await store.put('pub.txt', Buffer.from('hello'));
    const err = await rejection(store.makePublic('pub.txt'));
    expect(err.code).toBe('STORAGE_NOT_SUPPORTED');
    expect(err.hint).toContain('allowContainerPublicAccess');
    expect((await httpStatus(store.url('pub.txt'))).status).not.toBe(200);
    const allowed = await openAz(url, { allowContainerPublicAccess: true });
    await allowed.makePublic('pub.txt');
    const got = await httpStatus(allowed.url('pub.txt'));
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('hello');
  });

  it('names a missing container', async () => {
    const store = await openAz(`azure://${AZURITE_ACCOUNT}/nocontainer/x`);
    for (const err of await failures(store)) {
      expect(err.code).toBe('STORAGE_BUCKET_NOT_FOUND');
      expect(err.message).toContain('nocontainer');
    }
  });

  it('reports a wrong account key without the key', async () => {
    const badKey = Buffer.from('not the azurite key, but 64 bytes long enough to be a key!!!!!!').toString(
      'base64',
    );
    const store = await openAz(undefined, { accountKey: badKey });
    for (const err of await failures(store)) {
      expect(err.code).toBe('STORAGE_ACCESS_DENIED');
      expect(err.message).not.toContain(badKey);
      expect(JSON.stringify(err.toJSON())).not.toContain(badKey);
    }
  });

  it('works with a container SAS token and with a connection string, and keeps the SAS out of errors', async () => {
    const sdk = await import('@azure/storage-blob');
    const cred = new sdk.StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
    const sas = sdk
      .generateBlobSASQueryParameters(
        {
          containerName: 'ctr',
          permissions: sdk.ContainerSASPermissions.parse('racwdl'),
          expiresOn: new Date(Date.now() + 3600_000),
        },
        cred,
      )
      .toString();
    const viaSas = await openStore(`azure://${AZURITE_ACCOUNT}/ctr/sas`, {
      azure: { endpoint: azurite.endpoint, sasToken: sas },
    });
    const payload = randomBytes(1000);
    await viaSas.put('x.bin', payload);
    await viaSas.copy('x.bin', 'y.bin');
    expect(sha(await readAll(await viaSas.get('y.bin')))).toBe(sha(payload));
    expect((await listAll(viaSas, '', { recursive: true })).map((o) => o.key)).toEqual(['x.bin', 'y.bin']);
    const sig = new URLSearchParams(sas).get('sig')!;
    const outside = await openStore(`azure://${AZURITE_ACCOUNT}/pubctr/sas`, {
      azure: { endpoint: azurite.endpoint, sasToken: sas },
    });
    const err = await rejection(outside.put('x.bin', payload));
    expect(err.code).toBe('STORAGE_ACCESS_DENIED');
    expect(JSON.stringify(err.toJSON())).not.toContain(sig);

    const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${azurite.endpoint};`;
    const viaCs = await openStore(`azure://${AZURITE_ACCOUNT}/ctr/sas`, { azure: { connectionString } });
    expect((await viaCs.stat('x.bin'))?.sha256).toBe(sha(payload));
  });

  it('asks for credentials when none are given', async () => {
    const store = await openStore(`azure://${AZURITE_ACCOUNT}/ctr`, {
      azure: { endpoint: azurite.endpoint },
      env: {},
    });
    const err = await rejection(store.stat('k'));
    expect(err.code).toBe('STORAGE_NO_CREDENTIALS');
    expect(err.hint).toContain('AZURE_STORAGE_KEY');
  });
});

describe('openStore URL errors', () => {
  it('names an unknown scheme and lists the supported ones', async () => {
    const err = await rejection(openStore('ftp://host/dir'));
    expect(err.code).toBe('STORAGE_UNSUPPORTED_URL');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('ftp://host/dir');
    for (const s of ['s3://', 'gs://', 'azure://', 'file://']) expect(err.hint).toContain(s);
  });

  it('rejects a URL without a bucket', async () => {
    for (const url of ['s3://', 'gs:///x', 'azure://acct']) {
      expect((await rejection(openStore(url))).code).toBe('STORAGE_BAD_URL');
    }
  });
});
