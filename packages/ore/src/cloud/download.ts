import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { fetchFailure } from './fetch-failure.js';

/** A file fetched to a private temp dir; `remove()` deletes it. */
export interface DownloadedFile {
  path: string;
  size: number;
  remove(): Promise<void>;
}

/**
 * Fetch an http(s) URL to a temp file and check it came whole (the status, and every byte the
 * server announced) before anyone uses it; a refusal names the flag. Removed again on failure.
 */
export async function downloadToTemp(
  url: string,
  opts: { flag: string; signal?: AbortSignal; logger?: Logger },
): Promise<DownloadedFile> {
  const dir = await mkdtemp(join(tmpdir(), 'mantle-download-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, 'image');
    let res: Response;
    try {
      res = await fetch(url, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      throw (
        fetchFailure(err, opts.signal, {
          codePrefix: 'DOWNLOAD',
          service: 'the download',
          origin: new URL(url).origin,
          what: `fetching ${opts.flag} ${url}`,
          hint: `check ${opts.flag} and the network`,
        }) ??
        new OperationError({
          code: 'DOWNLOAD_FAILED',
          message: `fetching ${opts.flag} ${url} failed: ${(err as Error).message}`,
          hint: 'retry',
          cause: err,
        })
      );
    }
    if (!res.ok || !res.body)
      throw new InputError({
        code: 'DOWNLOAD_REFUSED',
        message: `${opts.flag} ${url}: HTTP ${res.status}`,
        hint: `check that ${opts.flag} names a file the server serves`,
        details: { url, status: res.status },
      });
    const announced = Number(res.headers.get('content-length') ?? NaN);
    opts.logger?.info(`downloading ${url}`);
    await pipeline(
      Readable.fromWeb(res.body as never),
      createWriteStream(path),
      opts.signal ? { signal: opts.signal } : {},
    );
    const { size } = await stat(path);
    if (Number.isFinite(announced) && size !== announced)
      throw new OperationError({
        code: 'DOWNLOAD_TRUNCATED',
        message: `${opts.flag} ${url}: got ${size} of the ${announced} bytes announced`,
        hint: 'retry; the connection was cut',
      });
    return { path, size, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
