import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '@mantle/core/errors';
import { detectCompression, openDecompressedStream } from '@mantle/core/image';
import { silentLogger, type Logger } from '@mantle/core/log';
import type { ObjectStore } from '@mantle/ore/storage';
import { buildIndexes } from '../index-pages/build-indexes.js';
import { DPKG_STATUS, formatDpkgList, parseDpkgStatus } from './dpkg-list.js';
import {
  CHECKSUM_NAME,
  checkOsName,
  IMAGE_NAME,
  imageDir,
  PACKAGES_NAME,
  parseImageVersion,
  resolveRoot,
} from './layout.js';
import { Lz4FrameEncoder } from './lz4-frame.js';

// 1 MiB blocks: several in flight on libuv's 4 threads keep both cores busy, with less memory
// than lz4's 4 MiB default and a ratio within 0.1% of it.
const BLOCK = 1 << 20;
import { TarScanner } from './tar-scan.js';

export interface PublishImageOptions {
  /** the rootfs tarball (plain, or gz/xz/zstd/bz2/lz4 compressed) */
  rootfs: string;
  os: string;
  /** MAJOR.MINOR.YYYYMMDD */
  version: string;
  /** stable (default), release, YYYYMMDD or pull_requests/<name> */
  root?: string;
  store: ObjectStore;
  /** packages.txt from this file instead of the rootfs's dpkg database */
  packagesFile?: string;
  /** rebuild the index pages of the image's directory and its parents */
  index?: boolean;
  cwd?: string;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface PublishImageResult {
  /** the image's directory URL */
  url: string;
  os: string;
  version: string;
  root: string;
  image: { key: string; bytes: number; md5: string };
  checksum: { key: string };
  packages: { key: string; count: number; from: 'dpkg' | 'file' | 'none' };
  /** bytes of the (uncompressed) rootfs tarball */
  rootfsBytes: number;
  /** tar members seen */
  members: number;
  seconds: number;
  indexPages?: number;
}

/** A pass-through that feeds every chunk to `fn` (sync) and runs `end` before the stream ends. */
class Tap extends Transform {
  constructor(
    private readonly fn: (chunk: Buffer) => void,
    private readonly atEnd?: () => void,
  ) {
    super({ highWaterMark: BLOCK });
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    try {
      this.fn(chunk);
      cb(null, chunk);
    } catch (err) {
      cb(err as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.atEnd?.();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/**
 * metal-images' publish step in one streaming pass: the rootfs tarball is read once, its tar
 * headers scanned for dpkg's database, lz4-compressed (one LZ4 frame) and md5-hashed on its way
 * into the store, so `<root>/<os>/<major.minor>/img.tar.lz4` appears only when complete (a failed
 * or interrupted upload leaves nothing under the name). Then packages.txt, then the checksum file,
 * which is written last: a consumer that finds a checksum finds the image it describes.
 */
export async function publishImage(opts: PublishImageOptions): Promise<PublishImageResult> {
  const t0 = Date.now();
  const log = opts.logger ?? silentLogger;
  const os = checkOsName(opts.os);
  const v = parseImageVersion(opts.version);
  const root = resolveRoot(opts.root ?? 'stable', v);
  const rootfs = resolve(opts.cwd ?? process.cwd(), opts.rootfs);
  const st = await stat(rootfs).catch(() => undefined);
  if (!st?.isFile())
    throw new InputError({
      code: 'PLUME_ROOTFS_NOT_FOUND',
      message: `${opts.rootfs}: ${st ? 'not a file' : 'no such file'}`,
      hint: 'pass the rootfs tarball (docker export, or tar -cf rootfs.tar -C DIR .)',
      details: { file: rootfs },
    });
  const packagesText = opts.packagesFile
    ? await readFile(resolve(opts.cwd ?? process.cwd(), opts.packagesFile), 'utf8').catch((err: unknown) => {
        throw new InputError({
          code: 'PLUME_PACKAGES_UNREADABLE',
          message: `--packages ${opts.packagesFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
          hint: 'pass the file `dpkg -l` (or `rpm -qa`) wrote for this rootfs',
          details: { flag: '--packages' },
        });
      })
    : undefined;

  const dir = imageDir(root, os, v.majorMinor);
  const imageKey = `${dir}${IMAGE_NAME}`;
  const input = await openInput(rootfs, opts.signal);
  const scanner = new TarScanner(new Set([DPKG_STATUS]), opts.rootfs);
  let rootfsBytes = 0;
  const md5 = createHash('md5');
  let imageBytes = 0;
  const body = new PassThrough({ highWaterMark: BLOCK });
  log.info(`compressing ${opts.rootfs} into ${opts.store.root}${imageKey}`);
  // The upload reads `body` while the pipeline fills it; a failure anywhere destroys both.
  const upload = opts.store.put(imageKey, body, {
    contentType: 'application/octet-stream',
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  try {
    await pipeline(
      input,
      new Tap(
        (c) => {
          rootfsBytes += c.length;
          scanner.push(c);
        },
        () => scanner.end(),
      ),
      new Lz4FrameEncoder(BLOCK),
      new Tap((c) => {
        imageBytes += c.length;
        md5.update(c);
      }),
      body,
      opts.signal ? { signal: opts.signal } : {},
    );
  } catch (err) {
    body.destroy(err as Error);
    await upload.catch(() => undefined);
    throw err;
  }
  await upload;
  const md5hex = md5.digest('hex');

  const status = scanner.found.get(DPKG_STATUS);
  const pkgs = status ? parseDpkgStatus(status.toString('utf8')) : [];
  const from: PublishImageResult['packages']['from'] =
    packagesText !== undefined ? 'file' : status ? 'dpkg' : 'none';
  if (from === 'none')
    log.warn(`${opts.rootfs}: no ${DPKG_STATUS}; packages.txt says so (pass --packages FILE)`);
  const packagesBody =
    packagesText ??
    (status ? formatDpkgList(pkgs) : `# no ${DPKG_STATUS} in ${IMAGE_NAME}: packages unknown\n`);
  await opts.store.put(`${dir}${PACKAGES_NAME}`, Buffer.from(packagesBody), {
    contentType: 'text/plain; charset=utf-8',
    skipIfSame: true,
  });
  // md5sum's format, as `md5sum img.tar.lz4 > img.tar.lz4.md5` writes it.
  await opts.store.put(`${dir}${CHECKSUM_NAME}`, Buffer.from(`${md5hex}  ${IMAGE_NAME}\n`), {
    contentType: 'text/plain; charset=utf-8',
    skipIfSame: true,
  });
  let indexPages: number | undefined;
  if (opts.index) {
    const r = await buildIndexes(opts.store, {
      dirs: [dir],
      logger: log,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    indexPages = r.written;
  }
  return {
    url: `${opts.store.root}${dir}`,
    os,
    version: opts.version,
    root,
    image: { key: imageKey, bytes: imageBytes, md5: md5hex },
    checksum: { key: `${dir}${CHECKSUM_NAME}` },
    packages: {
      key: `${dir}${PACKAGES_NAME}`,
      count: from === 'dpkg' ? pkgs.filter((p) => p.state === 'ii').length : 0,
      from,
    },
    rootfsBytes,
    members: scanner.entries,
    seconds: (Date.now() - t0) / 1000,
    ...(indexPages !== undefined ? { indexPages } : {}),
  };
}

/** The rootfs bytes: read as they are, or decompressed when the tarball is compressed. */
async function openInput(path: string, signal: AbortSignal | undefined): Promise<Readable> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(512);
  try {
    await fh.read(head, 0, 512, 0);
  } finally {
    await fh.close();
  }
  const compression = detectCompression(head);
  if (compression === 'none') return createReadStream(path, { highWaterMark: BLOCK });
  return openDecompressedStream(path, compression, signal ? { signal } : {});
}
