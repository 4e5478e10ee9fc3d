import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { download, type DownloadOptions, type DownloadResult } from './download.js';

/** A verified download in a private temp dir; `remove()` deletes it with its dir. */
export interface TempDownload extends DownloadResult {
  /** the downloaded file (the same as `dest`) */
  path: string;
  remove(): Promise<void>;
}

export interface TempDownloadOptions extends Omit<DownloadOptions, 'skipIfValid'> {
  /** the file's name inside the temp dir (default `download`): some tools read the extension */
  name?: string;
}

/**
 * `download()` to a fresh private directory under the system temp dir, for a file that is used
 * once (uploaded, converted) and then removed. Retried, resumed and verified like every download;
 * on any failure, an interrupt included, nothing is left behind.
 */
export async function downloadToTemp(url: string, opts: TempDownloadOptions = {}): Promise<TempDownload> {
  const { name = 'download', ...rest } = opts;
  // A programming error, not user input: the name must stay inside the private dir.
  if (basename(name) !== name || name === '.' || name === '..')
    throw new TypeError(`downloadToTemp: name ${JSON.stringify(name)} is not a plain file name`);
  const dir = await mkdtemp(join(tmpdir(), 'mantle-download-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const r = await download(url, join(dir, name), { ...rest, skipIfValid: false });
    return { ...r, path: r.dest, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
