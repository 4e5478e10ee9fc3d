import { mkdir, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { silentLogger, type Logger } from '@mantle/core/log';
import { writeFileAtomic } from '@mantle/core/fs';
import {
  download,
  type DownloadProgress,
  type KeysInput,
  type OpenSource,
  type SignatureVerification,
} from '@mantle/core/verify';
import { isHttpUrl, splitObjectUrl, type StorePool } from './object-url.js';

export interface FetchOptions {
  url: string;
  /** a file path, or a directory (existing, or ending in `/`) to keep the URL's file name in */
  out?: string;
  /** public keys the detached `<url>.sig` must be made with */
  verifyKey?: KeysInput;
  /** the expected sha256 instead of (or besides) a signature */
  sha256?: string;
  /** keep the verified signature as `<out>.sig` */
  keepSig?: boolean;
  retries?: number;
  /** opens non-http URLs (file://, s3://, gs://, azure://) */
  stores: StorePool;
  cwd?: string;
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

export interface FetchResult {
  url: string;
  path: string;
  bytes: number;
  sha256: string;
  /** an existing file verified and was kept */
  skipped: boolean;
  /** some bytes came from an earlier partial download */
  resumed: boolean;
  attempts: number;
  signature?: Omit<SignatureVerification, 'valid'>;
  /** where the signature was kept (--keep-sig) */
  sigPath?: string;
}

/**
 * gangue get: fetch `<url>.sig` first, keep an existing file that verifies, else download to
 * `<out>.part` (resumed with HTTP Range, retried) and verify before the rename, so an unverified
 * file never appears under its name.
 */
export async function fetchVerified(opts: FetchOptions): Promise<FetchResult> {
  const log = opts.logger ?? silentLogger;
  if (opts.verifyKey === undefined && opts.sha256 === undefined)
    throw new InputError({
      code: 'PLUME_FETCH_NOTHING_TO_VERIFY',
      message: `${opts.url}: no key or checksum to verify it with`,
      hint: 'pass --verify-key FILE (the public key that signed <url>.sig) or --sha256 HEX',
      details: { flag: '--verify-key' },
    });
  if (opts.keepSig && opts.verifyKey === undefined)
    throw new InputError({
      code: 'BAD_USAGE',
      message: '--keep-sig needs --verify-key (without a key no signature is fetched)',
      hint: 'pass --verify-key FILE',
      details: { flag: '--keep-sig' },
    });
  const path = await outputPath(opts.url, opts.out, opts.cwd ?? process.cwd());
  await mkdir(dirname(path), { recursive: true });
  const http = isHttpUrl(opts.url);
  const openSource: OpenSource = async (url, { offset }) => {
    const { store, key } = await opts.stores.object(url);
    const info = await store.stat(key);
    // ore's stores read whole objects: an interrupted store download restarts at byte 0.
    if (offset > 0) log.debug(`${url}: the store reads from the start; not resuming at ${offset}`);
    return { body: await store.get(key), offset: 0, ...(info ? { size: info.size } : {}) };
  };
  // The signature first: no point fetching gigabytes that cannot be verified.
  const signature =
    opts.verifyKey !== undefined ? await readSignature(`${opts.url}.sig`, opts, openSource, http) : undefined;
  const r = await download(opts.url, path, {
    ...(opts.verifyKey !== undefined && signature ? { keys: opts.verifyKey, signature } : {}),
    ...(opts.sha256 !== undefined ? { expectedSha256: opts.sha256 } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
    ...(http ? {} : { openSource }),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    logger: log,
  });
  let sigPath: string | undefined;
  if (opts.keepSig && signature) {
    sigPath = `${path}.sig`;
    // Written only now, after the file verified against it.
    await writeFileAtomic(sigPath, signature);
  }
  return {
    url: r.url,
    path,
    bytes: r.bytes,
    sha256: r.sha256,
    skipped: r.skipped,
    resumed: r.resumed,
    attempts: r.attempts,
    ...(r.signature ? { signature: withoutValid(r.signature) } : {}),
    ...(sigPath ? { sigPath } : {}),
  };
}

function withoutValid(s: SignatureVerification): Omit<SignatureVerification, 'valid'> {
  const { valid: _valid, ...rest } = s;
  return rest;
}

const MAX_SIG_BYTES = 1 << 20;

/** A detached signature, small and whole, with a few retries for http. */
async function readSignature(
  url: string,
  opts: FetchOptions,
  open: OpenSource,
  http: boolean,
): Promise<Uint8Array> {
  const missing = (why: string): InputError =>
    new InputError({
      code: 'PLUME_SIGNATURE_NOT_FOUND',
      message: `${url}: no signature (${why})`,
      hint: 'the file must have a detached OpenPGP signature beside it (<file>.sig); or verify with --sha256 HEX',
      details: { url },
    });
  if (!http) {
    let opened;
    try {
      opened = await open(url, { offset: 0 });
    } catch (err) {
      if ((err as { code?: string }).code === 'STORAGE_NOT_FOUND') throw missing('no such object');
      throw err;
    }
    return readSmall(opened.body as AsyncIterable<Uint8Array>, url);
  }
  const attempts = (opts.retries ?? 5) + 1;
  for (let i = 1; ; i++) {
    let res: Response | undefined;
    try {
      res = await fetch(url, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      if (opts.signal?.aborted || i >= attempts) throw err;
    }
    if (res) {
      if (res.status === 404) throw missing('HTTP 404');
      if (res.ok) return readSmall(res.body as unknown as AsyncIterable<Uint8Array>, url);
      await res.body?.cancel();
      if (res.status < 500 || i >= attempts) throw missing(`HTTP ${res.status}`);
    }
    await sleep(Math.min(10_000, 250 * 2 ** i), undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

async function readSmall(body: AsyncIterable<Uint8Array>, url: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > MAX_SIG_BYTES)
      throw new InputError({
        code: 'PLUME_SIGNATURE_TOO_BIG',
        message: `${url}: larger than 1 MiB, not a detached signature`,
        hint: 'check the URL',
      });
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

/** Where the file goes: OUT, or OUT/<name> when OUT is a directory (existing, `.`, or ending in `/`). */
async function outputPath(url: string, out: string | undefined, cwd: string): Promise<string> {
  const name = isHttpUrl(url) ? decodeURIComponent(basename(new URL(url).pathname)) : splitObjectUrl(url).key;
  if (!name || name === '/')
    throw new InputError({
      code: 'PLUME_BAD_OBJECT_URL',
      message: `${url} names a directory, not a file`,
      hint: 'give the URL of a file',
      details: { url },
    });
  const target = resolve(cwd, out ?? '.');
  const isDir =
    out === undefined ||
    out.endsWith('/') ||
    (await stat(target).then(
      (s) => s.isDirectory(),
      () => false,
    ));
  return isDir ? join(target, name) : target;
}
