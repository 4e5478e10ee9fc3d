import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download, downloadToTemp, MantleError, PrerequisiteError, type OpenSource } from '@mantle/core';
import { rejection } from './helpers/rejection.js';
import { detachSign, makeGpgKey, removeGpgKey, type GpgKey } from '@mantle/test-utils/gpg';

/** What the test server is told to do next, and what it saw. */
interface ServerState {
  /** drop the connection after this many body bytes, once */
  dropAfter?: number;
  /** answer this many requests with 500 first */
  fail500: number;
  /** serve these bytes instead of the real file */
  tampered: boolean;
  /** ignore Range headers (a server without range support) */
  noRanges: boolean;
  requests: { path: string; range?: string }[];
}

const SIZE = 3 * 1024 * 1024 + 123;
let content: Buffer;
let badContent: Buffer;
let sha256: string;
let server: Server;
let base: string;
let dir: string;
let key: GpgKey;
let sigArmored: string;
const state: ServerState = { fail500: 0, tampered: false, noRanges: false, requests: [] };

function serveFile(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const range = state.noRanges ? undefined : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let start = 0;
  if (range) {
    start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      'Content-Length': body.length - start,
      'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
      'Accept-Ranges': 'bytes',
    });
  } else {
    res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
  }
  const rest = body.subarray(start);
  if (state.dropAfter !== undefined) {
    const cut = state.dropAfter;
    state.dropAfter = undefined;
    // Send part of the body, then kill the socket mid-transfer.
    res.write(rest.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 10));
    return;
  }
  res.end(rest);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-dl-'));
  content = randomBytes(SIZE);
  badContent = Buffer.from(content);
  badContent[SIZE - 10] = (badContent[SIZE - 10] ?? 0) ^ 0xff;
  sha256 = createHash('sha256').update(content).digest('hex');
  key = await makeGpgKey('T <t@example.invalid>');
  const signed = join(dir, 'signed-source.bin');
  await writeFile(signed, content);
  sigArmored = await readFile(await detachSign(key, signed, { armor: true }), 'utf8');
  await rm(signed);

  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    state.requests.push({ path, ...(req.headers.range ? { range: req.headers.range } : {}) });
    if (path === '/image.bin.asc') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(sigArmored);
      return;
    }
    if (path !== '/image.bin') {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    if (state.fail500 > 0) {
      state.fail500--;
      res.writeHead(500);
      res.end('try later');
      return;
    }
    serveFile(req, res, state.tampered ? badContent : content);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await removeGpgKey(key);
  if (dir) await rm(dir, { recursive: true, force: true });
});

let n = 0;
let dest: string;
beforeEach(() => {
  Object.assign(state, { fail500: 0, tampered: false, noRanges: false, requests: [], dropAfter: undefined });
  dest = join(dir, `out-${++n}`, 'image.bin');
});

const fileRequests = (): { path: string; range?: string }[] =>
  state.requests.filter((r) => r.path === '/image.bin');
const fast = { retries: 3, backoff: 5 };
/** Run `fn` with the system temp dir pointed at a fresh dir of this test's own; returns that dir. */
async function inOwnTmpdir(fn: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = join(dir, `tmp-${++n}`);
  await mkdir(tmp);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    await fn(tmp);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

describe('download (local HTTP server on 127.0.0.1)', () => {
  it('downloads, checks the sha256, and leaves no temp file', async () => {
    const progress: number[] = [];
    const res = await download(`${base}/image.bin`, dest, {
      ...fast,
      expectedSha256: sha256,
      onProgress: (p) => progress.push(p.received),
    });
    expect(res).toMatchObject({ dest, bytes: SIZE, sha256, skipped: false, resumed: false, attempts: 1 });
    expect(
      createHash('sha256')
        .update(await readFile(dest))
        .digest('hex'),
    ).toBe(sha256);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(progress.at(-1)).toBe(SIZE);
  });

  it('resumes with a Range request after the connection drops mid-body', async () => {
    state.dropAfter = 1024 * 1024;
    const res = await download(`${base}/image.bin`, dest, { ...fast, expectedSha256: sha256 });
    expect(res).toMatchObject({ sha256, resumed: true, attempts: 2, bytes: SIZE });
    const reqs = fileRequests();
    expect(reqs).toHaveLength(2);
    expect(reqs[0]?.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(reqs[1]?.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1024 * 1024);
    expect(
      createHash('sha256')
        .update(await readFile(dest))
        .digest('hex'),
    ).toBe(sha256);
  });

  it('retries 500s with backoff and then succeeds', async () => {
    state.fail500 = 2;
    const res = await download(`${base}/image.bin`, dest, { ...fast, expectedSha256: sha256 });
    expect(res.attempts).toBe(3);
    expect(fileRequests()).toHaveLength(3);
  });

  it('gives up after the retries, naming the URL', async () => {
    state.fail500 = 100;
    const err = await rejection(download(`${base}/image.bin`, dest, { retries: 2, backoff: 5 }));
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toContain(`${base}/image.bin: HTTP 500`);
    expect(fileRequests()).toHaveLength(3);
    expect(existsSync(dest)).toBe(false);
  });

  it('does not retry a 404', async () => {
    const err = await rejection(download(`${base}/missing.bin`, dest, fast));
    expect(err.code).toBe('DOWNLOAD_NOT_FOUND');
    expect(err.exitCode).toBe(1);
    expect(state.requests.filter((r) => r.path === '/missing.bin')).toHaveLength(1);
  });

  it('a tampered file fails the checksum: dest never appears and no .part is left', async () => {
    state.tampered = true;
    const err = await rejection(download(`${base}/image.bin`, dest, { ...fast, expectedSha256: sha256 }));
    expect(err.code).toBe('VERIFY_CHECKSUM_MISMATCH');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(dest);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('verifies a detached signature from signatureUrl before the file gets its name', async () => {
    const res = await download(`${base}/image.bin`, dest, {
      ...fast,
      signatureUrl: `${base}/image.bin.asc`,
      keys: key.armoredPublicKey,
    });
    expect(res.signature).toMatchObject({
      valid: true,
      fingerprint: key.fingerprint,
      signedBy: 'T <t@example.invalid>',
    });
    expect(res.sha256).toBe(sha256);
  });

  it('a tampered file fails the signature: dest absent, no .part', async () => {
    state.tampered = true;
    const err = await rejection(
      download(`${base}/image.bin`, dest, {
        ...fast,
        signatureUrl: `${base}/image.bin.asc`,
        keys: key.armoredPublicKey,
      }),
    );
    expect(err.code).toBe('VERIFY_BAD_SIGNATURE');
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('keeps an existing dest that verifies (no request for the file)', async () => {
    await download(`${base}/image.bin`, dest, { ...fast, expectedSha256: sha256 });
    state.requests = [];
    const res = await download(`${base}/image.bin`, dest, {
      ...fast,
      expectedSha256: sha256,
      signature: sigArmored,
      keys: key.armoredPublicKey,
    });
    expect(res).toMatchObject({ skipped: true, attempts: 0, sha256 });
    expect(res.signature?.valid).toBe(true);
    expect(fileRequests()).toHaveLength(0);
  });

  it('replaces an existing dest that does not verify', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dest, '..'), { recursive: true });
    await writeFile(dest, 'old junk');
    const res = await download(`${base}/image.bin`, dest, { ...fast, expectedSha256: sha256 });
    expect(res.skipped).toBe(false);
    expect((await readFile(dest)).length).toBe(SIZE);
  });

  it('continues a .part left by an earlier run, and starts over when the server ignores Range', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dest, '..'), { recursive: true });
    await writeFile(`${dest}.part`, content.subarray(0, 500_000));
    const res = await download(`${base}/image.bin`, dest, { ...fast, expectedSha256: sha256 });
    expect(res.resumed).toBe(true);
    expect(fileRequests()[0]?.range).toBe('bytes=500000-');

    const dest2 = join(dir, 'noranges', 'image.bin');
    await mkdir(join(dest2, '..'), { recursive: true });
    await writeFile(`${dest2}.part`, content.subarray(0, 500_000));
    state.noRanges = true;
    const res2 = await download(`${base}/image.bin`, dest2, { ...fast, expectedSha256: sha256 });
    expect(res2).toMatchObject({ resumed: false, bytes: SIZE, sha256 });
  });

  it('a stale .part that poisons the resume gets one fresh download', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dest, '..'), { recursive: true });
    await writeFile(`${dest}.part`, randomBytes(400_000));
    const res = await download(`${base}/image.bin`, dest, { ...fast, expectedSha256: sha256 });
    expect(res.sha256).toBe(sha256);
    const reqs = fileRequests();
    expect(reqs.map((r) => r.range)).toEqual(['bytes=400000-', undefined]);
  });

  it('stops on abort and keeps the .part for a later resume', async () => {
    const controller = new AbortController();
    state.dropAfter = 2 * 1024 * 1024; // a slow-ish transfer we interrupt
    const p = download(`${base}/image.bin`, dest, {
      ...fast,
      signal: controller.signal,
      onProgress: (pr) => {
        if (pr.received > 100_000) controller.abort();
      },
    });
    await expect(p).rejects.toThrow();
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(true);
  });

  it('rejects bad options before any request', async () => {
    expect((await rejection(download(`${base}/image.bin`, dest, { expectedSha256: 'abc' }))).code).toBe(
      'DOWNLOAD_BAD_CHECKSUM',
    );
    expect((await rejection(download(`${base}/image.bin`, dest, { signature: sigArmored }))).code).toBe(
      'DOWNLOAD_NO_KEYS',
    );
    expect((await rejection(download('s3://bucket/key', dest, {}))).code).toBe('DOWNLOAD_UNSUPPORTED_URL');
    expect(state.requests).toHaveLength(0);
  });
});

describe('downloadToTemp and what callers build on', () => {
  it('downloads to a private temp dir that remove() deletes', () =>
    inOwnTmpdir(async (tmp) => {
      const got = await downloadToTemp(`${base}/image.bin`, {
        ...fast,
        name: 'image',
        expectedSha256: sha256,
      });
      expect(got).toMatchObject({ bytes: SIZE, sha256, skipped: false });
      expect(dirname(dirname(got.path))).toBe(tmp);
      expect(basename(got.path)).toBe('image');
      expect(
        createHash('sha256')
          .update(await readFile(got.path))
          .digest('hex'),
      ).toBe(sha256);
      await got.remove();
      expect(await readdir(tmp)).toEqual([]);
    }));

  it('leaves no temp dir when the download fails, and refuses a name with a path', () =>
    inOwnTmpdir(async (tmp) => {
      const err = await rejection(downloadToTemp(`${base}/missing.bin`, fast));
      expect(err.code).toBe('DOWNLOAD_NOT_FOUND');
      expect(err.details).toMatchObject({ status: 404 });
      state.fail500 = 100;
      expect((await rejection(downloadToTemp(`${base}/image.bin`, { retries: 0 }))).code).toBe(
        'DOWNLOAD_FAILED',
      );
      expect(await readdir(tmp)).toEqual([]);
      await expect(downloadToTemp(`${base}/image.bin`, { name: '../x' })).rejects.toThrow(/plain file name/);
    }));

  it('a final failure carries what the last attempt saw: the status, or the bytes of a short body', async () => {
    state.fail500 = 100;
    const status = await rejection(download(`${base}/image.bin`, dest, { retries: 1, backoff: 5 }));
    expect(status).toMatchObject({ code: 'DOWNLOAD_FAILED', details: { status: 500, attempts: 2 } });
    state.fail500 = 0;
    state.noRanges = true;
    let drops = 0;
    const short = await rejection(
      download(`${base}/image.bin`, join(dir, `short-${++n}`), {
        // An attempt that moved bytes earns fresh retries; none at all makes the first cut final.
        retries: 0,
        fetchImpl: (input, init) => {
          state.dropAfter = 1000;
          drops++;
          return fetch(input, init);
        },
      }),
    );
    expect(drops).toBe(1);
    expect(short.code).toBe('DOWNLOAD_FAILED');
    expect(short.details).toMatchObject({ total: SIZE });
    expect((short.details as { received: number }).received).toBeLessThan(SIZE);
  });

  it('a MantleError thrown by fetchImpl ends the download at once, unretried', async () => {
    let calls = 0;
    const final = new PrerequisiteError({ code: 'X_UNREACHABLE', message: 'cannot reach it' });
    const err = await rejection(
      download(`${base}/image.bin`, dest, {
        ...fast,
        fetchImpl: () => {
          calls++;
          return Promise.reject(final);
        },
      }),
    );
    expect(err).toBe(final);
    expect(err).toBeInstanceOf(MantleError);
    expect(calls).toBe(1);
  });
});

describe('download through an openSource hook (a store URL)', () => {
  it('reads at offsets, resumes after a failed stream, and verifies', async () => {
    const opened: number[] = [];
    let failOnce = true;
    const openSource: OpenSource = (url, { offset }) => {
      expect(url).toBe('mem://bucket/image.bin');
      opened.push(offset);
      const shouldFail = failOnce;
      failOnce = false;
      function* body(): Generator<Uint8Array> {
        for (let at = offset; at < SIZE; at += 256 * 1024) {
          if (shouldFail && at - offset >= 512 * 1024) throw new Error('stream reset');
          yield content.subarray(at, Math.min(SIZE, at + 256 * 1024));
        }
      }
      return Promise.resolve({ body: Readable.from(body()), offset, size: SIZE });
    };
    const res = await download('mem://bucket/image.bin', dest, {
      ...fast,
      openSource,
      expectedSha256: sha256,
    });
    expect(res).toMatchObject({ sha256, resumed: true, attempts: 2 });
    expect(opened).toEqual([0, 512 * 1024]);
  });
});
