import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Logger } from '@mantle/core/log';
import { convertImage } from '../convert/convert-image.js';
import { withWorkDir } from '../convert/input.js';
import { noProgress, type ProgressFactory } from '../convert/progress.js';
import { GCE_DISK_NAME } from '../convert/write-gce.js';
import { checkCloudName } from '../cloud/names.js';
import type { ObjectStore } from '../storage/types.js';
import type { GceClients } from './clients.js';
import { createGceImage, setGceImagePublic, type CreateGceImageResult } from './images.js';

export interface GceUploadOptions {
  /** the GCE tarball (`disk.raw` in a gzip'd tar), or a disk image to make one of first */
  file: string;
  /** the object key inside the store (e.g. `<version>.tar.gz`) */
  key: string;
  /** the image name (checked against GCE's rules before anything is uploaded) */
  imageName: string;
  family?: string;
  description?: string;
  licenses?: string[];
  labels?: Record<string, string>;
  storageLocation?: string;
  /** replace an existing image made from another source */
  force?: boolean;
  /** let every authenticated user launch the image */
  public?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
  progress?: ProgressFactory;
}

/** What `ore gcloud upload` did. */
export interface GceUploadResult {
  image: string;
  /** gs://bucket/key of the tarball */
  object: string;
  /** false when the object was already there with the same content */
  uploaded: boolean;
  /** true when the image existed (same name, same tarball) */
  reused: boolean;
  selfLink: string;
  family?: string;
}

/** Is `file` a GCE image tarball (gzip whose first tar member is disk.raw)? */
export async function isGceTarball(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return false;
    let tar: Buffer;
    try {
      tar = gunzipSync(head.subarray(0, bytesRead), { finishFlush: 2 /* Z_SYNC_FLUSH: a prefix is fine */ });
    } catch {
      return false;
    }
    return (
      tar.length >= 512 && tar.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '') === GCE_DISK_NAME
    );
  } finally {
    await fh.close();
  }
}

/**
 * Upload an image tarball to GCS and make a GCE image of it, idempotently: the name is checked
 * first; the object is skipped when it is there with the same size and sha256; an image of the
 * name made from the same object is reused. A disk image (not a tarball) is converted first.
 */
export async function uploadGceImage(
  gce: GceClients,
  store: ObjectStore,
  opts: GceUploadOptions,
): Promise<GceUploadResult> {
  checkCloudName('gce-image', opts.imageName, '--name');
  const object = `gs://${store.bucket}/${store.objectName(opts.key)}`;
  const put = async (file: string): Promise<boolean> => {
    const size = (await stat(file)).size;
    const task = (opts.progress ?? noProgress)(`upload to ${object}`, size);
    try {
      const r = await store.put(opts.key, file, {
        skipIfSame: true,
        contentType: 'application/gzip',
        onProgress: (n) => task.update(n),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (r.skipped) opts.logger?.info(`${object} is there with the same content: not uploaded again`);
      return !r.skipped;
    } finally {
      task.finish();
    }
  };
  let uploaded: boolean;
  if (gce.options.dryRun) {
    gce.options.dryRun.record('GCS', 'objects.insert (resumable)', { object, file: opts.file });
    uploaded = true;
  } else if (await isGceTarball(opts.file)) {
    uploaded = await put(opts.file);
  } else {
    opts.logger?.info(`${opts.file} is not a GCE tarball: converting it first`);
    uploaded = await withWorkDir(opts.file, async (dir) => {
      const out = join(dir, 'image.tar.gz');
      // the file's mtime as the tar entry's: the same disk makes the same tarball, so a rerun
      // finds the object unchanged
      await convertImage({
        input: opts.file,
        format: 'gce',
        out,
        mtime: (await stat(opts.file)).mtime,
        ...(opts.logger ? { logger: opts.logger } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.progress ? { progress: opts.progress } : {}),
      });
      return put(out);
    });
  }
  const img: CreateGceImageResult = await createGceImage(gce, {
    name: opts.imageName,
    source: object,
    ...(opts.family ? { family: opts.family } : {}),
    ...(opts.description ? { description: opts.description } : {}),
    ...(opts.licenses ? { licenses: opts.licenses } : {}),
    ...(opts.labels ? { labels: opts.labels } : {}),
    ...(opts.storageLocation ? { storageLocation: opts.storageLocation } : {}),
    ...(opts.force ? { force: true } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  if (opts.public) await setGceImagePublic(gce, opts.imageName);
  return {
    image: img.name,
    object,
    uploaded,
    reused: img.reused,
    selfLink: img.selfLink,
    ...(img.family ? { family: img.family } : {}),
  };
}
