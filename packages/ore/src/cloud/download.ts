import { InputError, MantleError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { downloadToTemp, type DownloadFailureDetails, type TempDownload } from '@mantle/core/verify';
import { fetchFailure } from './fetch-failure.js';

/**
 * Fetch the http(s) URL a flag names (`--file URL`) to a private temp file with core's verified
 * download (retried, resumed, every announced byte checked), before anyone uses it. Failures keep
 * ore's codes and name the flag: a host that cannot be reached is final (exit 3), a status the
 * server keeps answering is DOWNLOAD_REFUSED (exit 2), a body that stays short DOWNLOAD_TRUNCATED.
 */
export async function downloadFlagUrl(
  url: string,
  opts: { flag: string; signal?: AbortSignal; logger?: Logger },
): Promise<TempDownload> {
  const { flag, signal } = opts;
  const unreachable = (err: unknown): MantleError | undefined =>
    fetchFailure(err, signal, {
      codePrefix: 'DOWNLOAD',
      service: 'the download',
      origin: new URL(url).origin,
      what: `fetching ${flag} ${url}`,
      hint: `check ${flag} and the network`,
    });
  opts.logger?.info(`downloading ${url}`);
  try {
    return await downloadToTemp(url, {
      name: 'image',
      ...(signal ? { signal } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      fetchImpl: async (input, init) => {
        try {
          return await fetch(input, init);
        } catch (err) {
          throw unreachable(err) ?? err;
        }
      },
    });
  } catch (err) {
    throw flagDownloadError(err, url, flag) ?? unreachable(err) ?? err;
  }
}

/** Core's download failure in the words ore has always used for `--file URL`. */
function flagDownloadError(err: unknown, url: string, flag: string): MantleError | undefined {
  if (!(err instanceof MantleError) || !err.code.startsWith('DOWNLOAD_')) return undefined;
  const d = (err.details ?? {}) as DownloadFailureDetails;
  if (d.status !== undefined)
    return new InputError({
      code: 'DOWNLOAD_REFUSED',
      message: `${flag} ${url}: HTTP ${d.status}`,
      hint: `check that ${flag} names a file the server serves`,
      details: { url, status: d.status },
      cause: err,
    });
  if (err.code !== 'DOWNLOAD_FAILED') return undefined;
  if (d.received !== undefined && d.total !== undefined)
    return new OperationError({
      code: 'DOWNLOAD_TRUNCATED',
      message: `${flag} ${url}: got ${d.received} of the ${d.total} bytes announced`,
      hint: 'retry; the connection was cut',
      cause: err,
    });
  return new OperationError({
    code: 'DOWNLOAD_FAILED',
    message: `fetching ${flag} ${url} failed: ${err.message}`,
    hint: 'retry',
    cause: err,
  });
}
