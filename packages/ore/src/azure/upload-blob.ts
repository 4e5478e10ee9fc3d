import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { DryRun } from '../cloud/dry-run.js';
import { convertImage } from '../convert/convert-image.js';
import { withWorkDir } from '../convert/input.js';
import { noProgress, type ProgressFactory } from '../convert/progress.js';
import { decodeVhdFooter, VHD_FOOTER_SIZE } from '../convert/vhd-footer.js';
import type { AzureStore } from '../storage/azure-store.js';

// `ore azure upload-blob`: a fixed VHD as a page blob, the way Azure makes disks and images of it.
// Only non-zero pages are sent (AzureStore.putPageBlob), a killed upload is resumed from the page
// ranges the blob already has, and an identical finished blob is not sent again.

export interface AzureUploadBlobOptions {
  /** a fixed VHD, or a disk image to make one of first */
  file: string;
  /** the blob name inside the store */
  blob: string;
  /** replace a finished blob of the name that holds something else */
  overwrite?: boolean;
  /** resume a killed upload of the same VHD (default true) */
  resume?: boolean;
  dryRun?: DryRun;
  logger?: Logger;
  signal?: AbortSignal;
  progress?: ProgressFactory;
}

/** What upload-blob did. */
export interface AzureUploadBlobResult {
  url: string;
  size: number;
  sha256?: string;
  /** false when a finished blob with the same content was there */
  uploaded: boolean;
}

/** Is `file` a fixed VHD (a valid footer with disk type 2 at its end)? */
export async function isFixedVhd(file: string): Promise<boolean> {
  const { size } = await stat(file);
  if (size < VHD_FOOTER_SIZE || size % 512 !== 0) return false;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(VHD_FOOTER_SIZE);
    await fh.read(buf, 0, VHD_FOOTER_SIZE, size - VHD_FOOTER_SIZE);
    const f = decodeVhdFooter(buf);
    return f !== undefined && f.checksumOk && f.diskType === 2 && f.size === size - VHD_FOOTER_SIZE;
  } finally {
    await fh.close();
  }
}

/** Upload a VHD as a page blob, idempotently and resumably (see the module comment). */
export async function uploadAzureBlob(
  store: AzureStore,
  opts: AzureUploadBlobOptions,
): Promise<AzureUploadBlobResult> {
  const url = store.url(opts.blob);
  if (opts.dryRun) {
    opts.dryRun.record('Blob', 'Put Blob (page) + Put Page (non-zero ranges)', { url, file: opts.file });
    return { url, size: 0, uploaded: true };
  }
  const existing = await store.stat(opts.blob);
  const send = async (vhd: string): Promise<AzureUploadBlobResult> => {
    const size = (await stat(vhd)).size;
    // a finished blob (it has its sha256) of other content is not replaced by accident
    if (existing?.sha256 && !opts.overwrite) {
      const { sha256File } = await import('../storage/put-source.js');
      const sha = await sha256File(vhd, opts.signal);
      if (sha !== existing.sha256 || existing.size !== size)
        throw new InputError({
          code: 'AZURE_BLOB_EXISTS',
          message: `${url} exists and holds another image`,
          hint: 'pass --overwrite to replace it, or pick another --blob-name',
          details: { url },
        });
    }
    const task = (opts.progress ?? noProgress)(`upload to ${url}`, size);
    try {
      const r = await store.putPageBlob(opts.blob, vhd, {
        skipIfSame: true,
        resume: opts.resume !== false,
        contentType: 'application/octet-stream',
        concurrency: 8,
        onProgress: (n) => task.update(n),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (r.skipped) opts.logger?.info(`${url} is there with the same content: not uploaded again`);
      return { url, size: r.size, ...(r.sha256 ? { sha256: r.sha256 } : {}), uploaded: !r.skipped };
    } finally {
      task.finish();
    }
  };
  if (await isFixedVhd(opts.file)) return send(opts.file);
  opts.logger?.info(`${opts.file} is not a fixed VHD: converting it first`);
  return withWorkDir(opts.file, async (dir) => {
    const out = join(dir, 'disk.vhd');
    // the file's mtime as the footer's timestamp and a fixed unique id: the same disk makes the
    // same VHD, so a rerun finds the blob unchanged (or resumes it)
    await convertImage({
      input: opts.file,
      format: 'vhd',
      out,
      mtime: (await stat(opts.file)).mtime,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.progress ? { progress: opts.progress } : {}),
    });
    return send(out);
  });
}
