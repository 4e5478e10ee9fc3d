import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError, MantleError, OperationError } from '../errors/mantle-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import { syncDir } from '../fs/atomic.js';
import { VerifyError } from './errors.js';
import { checksumMismatch, type ByteSource } from './hash.js';
import {
  readDetachedSignature,
  verifyDetachedSignature,
  type KeysInput,
  type SignatureInput,
  type SignatureVerification,
} from './openpgp.js';
import { errorMessage } from '../errors/message.js';

/** What an `openSource` hook returns: the object's bytes from `offset` on (or from 0 if it cannot seek). */
export interface OpenedSource {
  body: ByteSource;
  /** where `body` starts: the requested offset when honoured, else 0 */
  offset: number;
  /** the object's total size, when known */
  size?: number;
}

/** Opens a non-HTTP URL (s3://, gs://, azure://, file://...) at a byte offset; storage backends provide it. */
export type OpenSource = (
  url: string,
  opts: { offset: number; signal?: AbortSignal },
) => Promise<OpenedSource>;

export interface DownloadProgress {
  url: string;
  /** bytes in the destination's temp file so far */
  received: number;
  total?: number;
}

export interface DownloadOptions {
  /** the expected SHA-256 (hex) of the file */
  expectedSha256?: string;
  /** where the detached signature is (defaults to nothing; gangue used `<url>.sig`) */
  signatureUrl?: string;
  /** the detached signature itself (armored text, a path, or bytes) */
  signature?: SignatureInput;
  /** public keys the signature must be made with (required with a signature) */
  keys?: KeysInput;
  /** retries after the first attempt for network errors and 5xx (default 5; reset whenever bytes arrived) */
  retries?: number;
  /** first backoff in ms, doubled each retry, capped at 30 s (default 500) */
  backoff?: number;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** fetch to use for http(s) (default: global fetch); a MantleError it throws ends the download, unretried */
  fetchImpl?: typeof fetch;
  /** opener for other URL schemes */
  openSource?: OpenSource;
  /** extra request headers for http(s), e.g. Authorization */
  headers?: Record<string, string>;
  /** keep an existing `dest` that verifies instead of downloading (default true; needs a checksum or signature) */
  skipIfValid?: boolean;
  logger?: Logger;
}

export interface DownloadResult {
  url: string;
  dest: string;
  bytes: number;
  sha256: string;
  /** true when an existing, verified `dest` was kept */
  skipped: boolean;
  /** true when some bytes came from an earlier partial download (HTTP Range) */
  resumed: boolean;
  /** requests made for the file's bytes */
  attempts: number;
  signature?: SignatureVerification;
}

const MAX_BACKOFF_MS = 30_000;
const MAX_SIGNATURE_BYTES = 1 << 20;

/** What the last failed attempt saw: a final DOWNLOAD_FAILED carries it in `details`. */
export interface DownloadFailureDetails {
  /** the HTTP status that was retried (5xx, 408, 429) */
  status?: number;
  /** bytes the attempt had received when the connection closed, and the object's size */
  received?: number;
  total?: number;
}

/** A failure worth retrying (network error, 5xx, short body). */
class RetryableError extends Error {
  constructor(
    message: string,
    readonly details: DownloadFailureDetails = {},
  ) {
    super(message);
  }
}

function isHttp(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

// URLs may carry credentials (signed query strings); never print them whole.
function showUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return redactText(u.toString());
  } catch {
    return redactText(url);
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

function parseContentRange(header: string | null): { start?: number; total?: number } {
  if (!header) return {};
  const m = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)/i.exec(header.trim());
  if (!m) return {};
  return {
    ...(m[1] !== undefined ? { start: Number(m[1]) } : {}),
    ...(m[2] !== undefined && m[2] !== '*' ? { total: Number(m[2]) } : {}),
  };
}

function httpStatusError(url: string, status: number, statusText: string): OperationError {
  return new OperationError({
    code: status === 404 ? 'DOWNLOAD_NOT_FOUND' : 'DOWNLOAD_HTTP_STATUS',
    message: `${showUrl(url)}: HTTP ${status}${statusText ? ` ${statusText}` : ''}`,
    hint:
      status === 404
        ? 'check the URL (version, board, channel)'
        : status === 401 || status === 403
          ? 'check the credentials for this URL'
          : 'check the URL',
    details: { url: showUrl(url), status },
  });
}

/** Open the URL at `offset` via fetch (http/https) or the openSource hook. `complete` means nothing is left to read. */
async function openAt(
  url: string,
  offset: number,
  opts: DownloadOptions,
): Promise<{ body?: ByteSource; offset: number; total?: number; complete?: boolean }> {
  if (!isHttp(url)) {
    if (!opts.openSource) {
      throw new InputError({
        code: 'DOWNLOAD_UNSUPPORTED_URL',
        message: `${showUrl(url)}: only http(s) URLs can be downloaded without a storage backend`,
        hint: 'use an http(s) URL, or a command that knows this store',
      });
    }
    const src = await opts.openSource(url, { offset, ...(opts.signal ? { signal: opts.signal } : {}) });
    return { body: src.body, offset: src.offset, ...(src.size !== undefined ? { total: src.size } : {}) };
  }
  const doFetch = opts.fetchImpl ?? fetch;
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (offset > 0) headers.Range = `bytes=${offset}-`;
  let res: Response;
  try {
    res = await doFetch(url, {
      headers,
      ...(opts.signal ? { signal: opts.signal } : {}),
      redirect: 'follow',
    });
  } catch (err) {
    // A fetchImpl that throws a MantleError has judged the failure final (an unreachable service).
    if (opts.signal?.aborted || err instanceof MantleError) throw err;
    throw new RetryableError(
      `request failed: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
    );
  }
  if (res.status === 416 && offset > 0) {
    await res.body?.cancel();
    const { total } = parseContentRange(res.headers.get('content-range'));
    // The part file already holds everything (or more than the object has: start over).
    if (total === offset) return { offset, total, complete: true };
    return { offset: 0, ...(total !== undefined ? { total } : {}), complete: false, body: undefined };
  }
  if (res.status >= 500 || res.status === 408 || res.status === 429) {
    await res.body?.cancel();
    throw new RetryableError(`HTTP ${res.status}`, { status: res.status });
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw httpStatusError(url, res.status, res.statusText);
  }
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (res.status === 206) {
    const cr = parseContentRange(res.headers.get('content-range'));
    const start = cr.start ?? offset;
    const total = cr.total ?? (Number.isFinite(length) ? start + length : undefined);
    return {
      body: res.body as unknown as WebReadableStream<Uint8Array>,
      offset: start,
      ...(total !== undefined ? { total } : {}),
    };
  }
  // 200: the whole object (the server ignored or does not support Range).
  return {
    body: (res.body ?? Readable.from([])) as unknown as WebReadableStream<Uint8Array>,
    offset: 0,
    ...(Number.isFinite(length) ? { total: length } : {}),
  };
}

/** Fetch a small object (a signature) whole, with the same retries. */
async function fetchSmall(url: string, opts: DownloadOptions, log: Logger): Promise<Uint8Array> {
  return withRetries(url, opts, log, async () => {
    const opened = await openAt(url, 0, opts);
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const c of (opened.body ?? []) as AsyncIterable<Uint8Array>) {
        n += c.length;
        if (n > MAX_SIGNATURE_BYTES) {
          throw new InputError({
            code: 'DOWNLOAD_SIGNATURE_TOO_BIG',
            message: `${showUrl(url)}: larger than 1 MiB; not a detached signature`,
          });
        }
        chunks.push(Buffer.from(c));
      }
    } catch (err) {
      if (err instanceof MantleError || opts.signal?.aborted) throw err;
      throw new RetryableError(`transfer failed: ${errorMessage(err)}`);
    }
    return Buffer.concat(chunks);
  });
}

async function withRetries<T>(
  url: string,
  opts: DownloadOptions,
  log: Logger,
  fn: (attempt: number) => Promise<T>,
  progressed?: () => boolean,
): Promise<T> {
  const retries = opts.retries ?? 5;
  const backoff = opts.backoff ?? 500;
  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof RetryableError) || opts.signal?.aborted) throw err;
      // A transfer that moved bytes earns a fresh set of retries: flaky links still finish.
      failures = progressed?.() ? 1 : failures + 1;
      if (failures > retries) {
        throw new OperationError({
          code: 'DOWNLOAD_FAILED',
          message: `${showUrl(url)}: ${err.message} (gave up after ${attempt} attempts)`,
          hint: 'check the network and the server; rerun to resume from the partial file',
          details: { url: showUrl(url), attempts: attempt, ...err.details },
        });
      }
      const wait = Math.min(MAX_BACKOFF_MS, backoff * 2 ** (failures - 1));
      log.warn(`${showUrl(url)}: ${err.message}; retrying in ${(wait / 1000).toFixed(1)}s`);
      await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : {});
    }
  }
}

/** Hash a file and, with a signature, verify it in the same read. Throws VerifyError naming `name`. */
async function verifyLocal(
  path: string,
  name: string,
  opts: DownloadOptions,
  signature: Uint8Array | SignatureInput | undefined,
): Promise<{ sha256: string; signature?: SignatureVerification }> {
  const h = createHash('sha256');
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let sig: SignatureVerification | undefined;
  try {
    if (signature !== undefined && opts.keys !== undefined) {
      // One read for both: the hash taps the bytes on their way to the signature check.
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          h.update(chunk);
          cb(null, chunk);
        },
      });
      stream.on('error', (err) => tap.destroy(err));
      sig = await verifyDetachedSignature({ data: stream.pipe(tap), signature, keys: opts.keys, name });
    } else {
      for await (const c of stream) h.update(c as Buffer);
    }
  } finally {
    stream.destroy();
  }
  const sha256 = h.digest('hex');
  if (opts.expectedSha256 && sha256 !== opts.expectedSha256.toLowerCase())
    throw checksumMismatch(name, 'sha256', opts.expectedSha256, sha256);
  return { sha256, ...(sig ? { signature: sig } : {}) };
}

/**
 * Download a URL to `dest`: bytes go to `dest.part` (resumed with HTTP Range after a dropped
 * connection or an earlier interrupted run), network errors and 5xx are retried with exponential
 * backoff, and the file is fsynced and verified (SHA-256 and/or detached OpenPGP signature)
 * BEFORE it is renamed to `dest` — a file that fails verification never appears under its name
 * and its temp file is removed. An existing `dest` that verifies is kept (as gangue did).
 */
export async function download(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const log = opts.logger ?? silentLogger;
  if (opts.expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.expectedSha256)) {
    throw new InputError({
      code: 'DOWNLOAD_BAD_CHECKSUM',
      message: `expected SHA-256 "${opts.expectedSha256}" is not 64 hex digits`,
      hint: 'pass the sha256sum of the file',
    });
  }
  const wantsSignature = opts.signature !== undefined || opts.signatureUrl !== undefined;
  if (wantsSignature && opts.keys === undefined) {
    throw new InputError({
      code: 'DOWNLOAD_NO_KEYS',
      message: `${showUrl(url)}: a signature was given but no keys to check it with`,
      hint: 'pass the signing public key (--keys FILE)',
    });
  }
  // Fetch the signature first: no point downloading gigabytes that cannot be verified.
  let signature: Uint8Array | SignatureInput | undefined = opts.signature;
  if (signature === undefined && opts.signatureUrl)
    signature = await fetchSmall(opts.signatureUrl, opts, log);
  if (signature !== undefined) await readDetachedSignature(signature); // fail fast on garbage

  const canVerify = wantsSignature || opts.expectedSha256 !== undefined;
  if ((opts.skipIfValid ?? true) && canVerify && (await fileSize(dest)) !== undefined) {
    try {
      const v = await verifyLocal(dest, dest, opts, signature);
      log.info(`${dest}: already present and verified; not downloading`);
      return {
        url: showUrl(url),
        dest,
        bytes: (await fileSize(dest)) ?? 0,
        sha256: v.sha256,
        skipped: true,
        resumed: false,
        attempts: 0,
        ...(v.signature ? { signature: v.signature } : {}),
      };
    } catch (err) {
      if (!(err instanceof VerifyError)) throw err;
      log.warn(`${dest}: exists but does not verify (${err.code}); downloading again`);
    }
  }

  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let attempts = 0;
  let resumed = false;
  let progressedThisAttempt = false;
  const hadPart = ((await fileSize(part)) ?? 0) > 0;
  let freshRetryLeft = hadPart;

  for (;;) {
    await withRetries(
      url,
      opts,
      log,
      async () => {
        attempts++;
        progressedThisAttempt = false;
        const have = (await fileSize(part)) ?? 0;
        let opened = await openAt(url, have, opts);
        if (opened.complete) return;
        if (opened.body === undefined) {
          // 416 with a part larger than the object: start over.
          await truncate(part, 0).catch(() => {});
          opened = await openAt(url, 0, opts);
        }
        const start = opened.offset;
        if (start > 0 && start !== have) {
          await drain(opened.body);
          await truncate(part, 0);
          throw new RetryableError(`the server resumed at byte ${start}, not ${have}`);
        }
        if (start > 0) resumed = true;
        const fh = await open(part, start === 0 ? 'w' : 'a');
        let received = start;
        try {
          try {
            for await (const chunk of opened.body as AsyncIterable<Uint8Array>) {
              await fh.write(chunk);
              received += chunk.length;
              progressedThisAttempt = true;
              opts.onProgress?.({
                url: showUrl(url),
                received,
                ...(opened.total !== undefined ? { total: opened.total } : {}),
              });
            }
          } catch (err) {
            if (opts.signal?.aborted) throw err;
            throw new RetryableError(`transfer failed after ${received} bytes: ${errText(err)}`, {
              received,
              ...(opened.total !== undefined ? { total: opened.total } : {}),
            });
          }
          await fh.sync();
        } finally {
          await fh.close();
        }
        if (opened.total !== undefined && received !== opened.total) {
          throw new RetryableError(`connection closed at byte ${received} of ${opened.total}`, {
            received,
            total: opened.total,
          });
        }
      },
      () => progressedThisAttempt,
    );

    try {
      const v = await verifyLocal(part, dest, opts, signature);
      await rename(part, dest);
      await syncDir(dirname(dest));
      const bytes = (await fileSize(dest)) ?? 0;
      log.info(`${dest}: ${bytes} bytes${canVerify ? ', verified' : ''}`);
      return {
        url: showUrl(url),
        dest,
        bytes,
        sha256: v.sha256,
        skipped: false,
        resumed,
        attempts,
        ...(v.signature ? { signature: v.signature } : {}),
      };
    } catch (err) {
      await rm(part, { force: true });
      // A stale part file from an older object can poison a resume: one fresh try.
      if (err instanceof VerifyError && freshRetryLeft && resumed) {
        freshRetryLeft = false;
        resumed = false;
        log.warn(`${dest}: resumed download does not verify; downloading from scratch`);
        continue;
      }
      throw err;
    }
  }
}

function errText(err: unknown): string {
  if (err instanceof Error)
    return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
  return String(err);
}

async function drain(body: ByteSource | undefined): Promise<void> {
  if (!body) return;
  const web = body as WebReadableStream<Uint8Array>;
  if (typeof web.cancel === 'function') {
    await web.cancel().catch(() => {});
    return;
  }
  const node = body as Readable;
  if (typeof node.destroy === 'function') node.destroy();
}
