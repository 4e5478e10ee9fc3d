import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError } from '@mantle/core/errors';
import { registerSecret, silentLogger, type Logger } from '@mantle/core/log';
import { guessContentType } from './content-type.js';
import { missingCredentials, notSupported, storageError, type ServiceFailure } from './errors.js';
import { trackProgress } from './progress.js';
import {
  hashedBody,
  fileUnchanged,
  openSource,
  prepareSource,
  sameContent,
  skipIfUnchanged,
  sha256File,
} from './put-source.js';
import { SHA256_META, checkKey, encodeKey } from './store-url.js';
import type {
  AzureStoreOptions,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutPageBlobOptions,
  PutResult,
  PutSource,
  StatOptions,
} from './types.js';

// Type-only: @azure/storage-blob is loaded with import() on first use.
type AzureSdk = typeof import('@azure/storage-blob');
type ContainerClient = ReturnType<InstanceType<AzureSdk['BlobServiceClient']>['getContainerClient']>;

const MIB = 1024 * 1024;
// Put Page takes at most 4 MiB per request.
const MAX_PAGE_WRITE = 4 * MIB;

/** Options of the AzureStore constructor: the URL's service URL plus the caller's options. */
export interface AzureStoreInit extends AzureStoreOptions {
  /** the service URL the store URL itself named (https://account.blob.core.windows.net) */
  serviceUrl?: string | undefined;
}

/** Turn an @azure/storage-blob RestError into the fields storageError classifies. */
function azureFailure(err: unknown): ServiceFailure {
  const e = err as { statusCode?: number; code?: string; message?: string; details?: { errorCode?: string } };
  const code = e.details?.errorCode ?? e.code;
  // RestError messages can embed the whole XML error body; the first line is what matters.
  const message = e.message?.split('\n')[0];
  return { status: e.statusCode, code: code === 'REQUEST_SEND_ERROR' ? undefined : code, message };
}

/** Metadata of a page blob whose upload is not finished: which source it is being written from. */
const PARTIAL_META = 'mantle_partial';

/** An Azure Blob Storage container as an ObjectStore (block blobs; page blobs via putPageBlob). */
export class AzureStore implements ObjectStore {
  readonly scheme = 'azure' as const;
  readonly root: string;
  private readonly serviceUrl: string;
  private handle: Promise<ContainerClient> | undefined;
  private readonly log: Logger;
  private readonly opts: AzureStoreInit;

  constructor(
    readonly account: string,
    readonly bucket: string,
    readonly prefix: string,
    opts: AzureStoreInit = {},
    logger: Logger = silentLogger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    // Explicit options win; the AZURE_STORAGE_* variables the az CLI reads are the fallback.
    this.opts = {
      ...opts,
      accountKey:
        opts.accountKey ?? (opts.sasToken || opts.connectionString ? undefined : env.AZURE_STORAGE_KEY),
      sasToken: opts.sasToken ?? env.AZURE_STORAGE_SAS_TOKEN,
      connectionString:
        opts.connectionString ??
        (opts.accountKey || opts.sasToken ? undefined : env.AZURE_STORAGE_CONNECTION_STRING),
    };
    this.root = `azure://${account}/${bucket}/${prefix}`;
    this.serviceUrl = (
      opts.endpoint ??
      opts.serviceUrl ??
      `https://${account}.blob.core.windows.net`
    ).replace(/\/+$/, '');
    this.log = logger;
    const o = this.opts;
    registerSecret(o.accountKey);
    registerSecret(o.sasToken?.replace(/^\?/, ''));
    registerSecret(o.connectionString);
    for (const m of (o.connectionString ?? '').matchAll(/(?:AccountKey|SharedAccessSignature)=([^;]+)/gi))
      registerSecret(m[1]);
  }

  objectName(key: string): string {
    return this.prefix + checkKey(key);
  }

  url(key: string): string {
    return `${this.serviceUrl}/${this.bucket}/${encodeKey(this.objectName(key))}`;
  }

  private container(): Promise<ContainerClient> {
    this.handle ??= (async () => {
      const sdk = await import('@azure/storage-blob');
      const o = this.opts;
      let service;
      if (o.connectionString) {
        service = sdk.BlobServiceClient.fromConnectionString(o.connectionString);
      } else if (o.accountKey) {
        service = new sdk.BlobServiceClient(
          this.serviceUrl,
          new sdk.StorageSharedKeyCredential(o.accountName ?? this.account, o.accountKey),
        );
      } else if (o.sasToken) {
        service = new sdk.BlobServiceClient(`${this.serviceUrl}?${o.sasToken.replace(/^\?/, '')}`);
      } else {
        throw missingCredentials(
          this.root,
          'pass an account key, a SAS token or a connection string (or set AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING)',
        );
      }
      return service.getContainerClient(this.bucket);
    })();
    return this.handle;
  }

  private fail(op: string, key: string | undefined, err: unknown): Error {
    const url =
      key === undefined ? this.root : `azure://${this.account}/${this.bucket}/${this.objectName(key)}`;
    return storageError(azureFailure(err), { op, url, endpoint: this.serviceUrl }, err);
  }

  async *list(prefix = '', opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const c = await this.container();
    const full = this.prefix + prefix;
    try {
      if (opts.recursive) {
        for await (const b of c.listBlobsFlat({ prefix: full, includeMetadata: true })) {
          yield this.blobInfo(b.name.slice(this.prefix.length), b.properties, b.metadata);
        }
      } else {
        for await (const item of c.listBlobsByHierarchy('/', { prefix: full, includeMetadata: true })) {
          if (item.kind === 'prefix')
            yield { key: item.name.slice(this.prefix.length), size: 0, isPrefix: true };
          else yield this.blobInfo(item.name.slice(this.prefix.length), item.properties, item.metadata);
        }
      }
    } catch (err) {
      throw this.fail('list', undefined, err);
    }
  }

  private blobInfo(
    key: string,
    p: {
      contentLength?: number | undefined;
      etag?: string | undefined;
      contentType?: string | undefined;
      cacheControl?: string | undefined;
      lastModified?: Date | undefined;
      contentMD5?: Uint8Array | undefined;
    },
    metadata: Record<string, string> | undefined,
  ): ObjectInfo {
    const sha256 = metadata?.[SHA256_META];
    return {
      key,
      size: p.contentLength ?? 0,
      ...(sha256 ? { sha256 } : {}),
      ...(p.contentMD5 && p.contentMD5.length ? { md5: Buffer.from(p.contentMD5).toString('base64') } : {}),
      ...(p.etag ? { etag: p.etag } : {}),
      ...(p.contentType ? { contentType: p.contentType } : {}),
      ...(p.cacheControl ? { cacheControl: p.cacheControl } : {}),
      ...(p.lastModified ? { modified: p.lastModified } : {}),
    };
  }

  async stat(key: string, _opts: StatOptions = {}): Promise<ObjectInfo | undefined> {
    const c = await this.container();
    try {
      const p = await c.getBlobClient(this.objectName(key)).getProperties();
      return this.blobInfo(key, p, p.metadata);
    } catch (err) {
      const f = azureFailure(err);
      if (f.status === 404 && f.code !== 'ContainerNotFound') return undefined;
      throw this.fail('stat', key, err);
    }
  }

  async get(key: string): Promise<Readable> {
    const c = await this.container();
    try {
      const r = await c.getBlobClient(this.objectName(key)).download();
      if (!r.readableStreamBody) throw new Error('download returned no stream');
      return r.readableStreamBody as Readable;
    } catch (err) {
      throw this.fail('get', key, err);
    }
  }

  async put(key: string, source: PutSource, opts: PutOptions = {}): Promise<PutResult> {
    const name = this.objectName(key);
    const src = await prepareSource(source, opts);
    const skipped = await skipIfUnchanged(
      key,
      src,
      opts,
      () => this.stat(key),
      async (existing, change) => {
        try {
          // Set Blob Properties replaces every header, so the stored MD5 is passed back along.
          await (await this.container()).getBlobClient(name).setHTTPHeaders({
            ...(change.contentType ? { blobContentType: change.contentType } : {}),
            ...(change.cacheControl ? { blobCacheControl: change.cacheControl } : {}),
            ...(existing.md5 ? { blobContentMD5: Buffer.from(existing.md5, 'base64') } : {}),
          });
        } catch (err) {
          throw this.fail('put', key, err);
        }
      },
      () => this.log.debug(`skip ${this.url(key)}: same size and sha256`),
    );
    if (skipped) return skipped;
    const c = await this.container();
    const blob = c.getBlockBlobClient(name);
    const progress = trackProgress(opts.onProgress, src.size);
    const common = {
      blobHTTPHeaders: {
        blobContentType: opts.contentType ?? guessContentType(key),
        ...(opts.cacheControl ? { blobCacheControl: opts.cacheControl } : {}),
      },
      ...(src.sha256 ? { metadata: { [SHA256_META]: src.sha256.toLowerCase() } } : {}),
      onProgress: (e: { loadedBytes: number }) => progress.to(e.loadedBytes),
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    };
    const blockSize = opts.partSize ?? 8 * MIB;
    let etag: string | undefined;
    let sha256: string;
    let size: number;
    try {
      if (src.kind === 'buffer') {
        const r = await blob.uploadData(src.buffer, {
          ...common,
          blockSize,
          maxSingleShotSize: blockSize,
          concurrency: opts.concurrency ?? 4,
        });
        etag = r.etag;
        sha256 = src.sha256;
        size = src.size;
      } else if (src.kind === 'file') {
        // Files were hashed up front; uploadFile reads block ranges in parallel, much faster than a
        // stream. A file modified meanwhile is caught by its size/mtime below instead of a rehash.
        const r = await blob.uploadFile(src.path, {
          ...common,
          blockSize,
          maxSingleShotSize: blockSize,
          concurrency: opts.concurrency ?? 4,
        });
        etag = r.etag;
        sha256 = src.sha256!;
        size = src.size;
        if (!(await fileUnchanged(src))) {
          await this.delete(key);
          throw new InputError({
            code: 'STORAGE_SOURCE_CHANGED',
            message: `upload of '${src.path}' to ${this.url(key)}: the file changed while it was uploaded`,
            hint: 'do not modify the file during the upload; run again once it is complete',
          });
        }
      } else {
        const counter = hashedBody(openSource(src, 4 * MIB));
        const r = await blob.uploadStream(counter, blockSize, opts.concurrency ?? 4, common);
        etag = r.etag;
        sha256 = counter.digest();
        size = counter.bytes;
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : err;
      throw this.fail('put', key, err);
    }
    if (src.sha256 !== undefined && sha256 !== src.sha256.toLowerCase()) {
      await this.delete(key);
      throw new InputError({
        code: 'STORAGE_SHA256_MISMATCH',
        message: `upload to ${this.url(key)}: content sha256 ${sha256} differs from the expected ${src.sha256}`,
        hint: 'the source changed while it was read, or the sha256 given with the stream is wrong',
      });
    }
    progress.done(size);
    this.log.debug(`put ${this.url(key)} (${size} bytes)`);
    return { key, skipped: false, size, sha256, ...(etag ? { etag } : {}) };
  }

  /**
   * Upload a local file as a page blob (what Azure wants for VHD disks): only the non-zero 512-byte
   * aligned ranges are sent, so a mostly empty disk image costs what its data costs. The sha256 of
   * the whole file is stored as metadata once the pages are written.
   */
  async putPageBlob(key: string, filePath: string, opts: PutPageBlobOptions = {}): Promise<PutResult> {
    const name = this.objectName(key);
    const fh = await open(filePath, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new InputError({
        code: 'STORAGE_SOURCE_NOT_FOUND',
        message: `page blob source '${filePath}' cannot be read: ${err.code ?? String(err)}`,
        hint: 'check the path of the disk image',
        cause: err,
      });
    });
    try {
      const { size } = await fh.stat();
      if (size % 512 !== 0) {
        throw new InputError({
          code: 'STORAGE_PAGE_BLOB_UNALIGNED',
          message: `page blob source '${filePath}' is ${size} bytes, not a multiple of 512`,
          hint: 'pad the image to a 512-byte boundary (Azure VHDs: raw size aligned to 1 MiB plus the 512-byte footer)',
        });
      }
      if (opts.skipIfSame) {
        const sha = await sha256File(filePath, opts.signal);
        if (sameContent(await this.stat(key), { size, sha256: sha })) {
          this.log.debug(`skip ${this.url(key)}: same size and sha256`);
          return { key, skipped: true, size, sha256: sha };
        }
      }
      const c = await this.container();
      const blob = c.getPageBlobClient(name);
      const common = opts.signal ? { abortSignal: opts.signal } : {};
      // What identifies the source, cheaply and wherever it lies: its size, first and last MiB (a
      // VHD's footer with its unique id among them). A blob left by a killed upload of the same
      // source (not yet finished with its sha256) is resumed, not started over.
      const ends = Buffer.alloc(Math.min(size, 2 * MIB));
      await fh.read(ends, 0, ends.length / 2, 0);
      await fh.read(ends, ends.length / 2, ends.length / 2, size - ends.length / 2);
      const source = createHash('sha256').update(`${size}\0`).update(ends).digest('hex').slice(0, 32);
      const written = opts.resume ? await this.writtenPages(blob, size, source) : undefined;
      if (written) {
        this.log.info(
          `resuming ${this.url(key)}: ${written.reduce((n, r) => n + r.count, 0)} bytes of pages already written`,
        );
      } else {
        try {
          await blob.create(size, {
            ...common,
            blobHTTPHeaders: { blobContentType: opts.contentType ?? guessContentType(key) },
            metadata: { [PARTIAL_META]: source },
          });
        } catch (err) {
          throw this.fail('putPageBlob', key, err);
        }
      }
      const done = (offset: number, len: number): boolean =>
        written?.some((r) => r.offset <= offset && offset + len <= r.offset + r.count) ?? false;
      const chunk = Math.min(
        MAX_PAGE_WRITE,
        Math.max(512, Math.floor((opts.chunkSize ?? MAX_PAGE_WRITE) / 512) * 512),
      );
      const limit = Math.max(1, opts.concurrency ?? 4);
      const progress = trackProgress(opts.onProgress, size);
      // Reads are sequential, so one running hash covers the file in order.
      const hash = createHash('sha256');
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      let sent = 0;
      for (let offset = 0; offset < size && failure === undefined; offset += chunk) {
        const len = Math.min(chunk, size - offset);
        const buf = Buffer.allocUnsafe(len);
        const { bytesRead } = await fh.read(buf, 0, len, offset);
        if (bytesRead !== len)
          throw new InputError({
            code: 'STORAGE_SOURCE_CHANGED',
            message: `'${filePath}' shrank while it was uploaded`,
            hint: 'do not modify the image during upload',
          });
        hash.update(buf);
        // Pages never written read back as zeros: skipping zero chunks is what keeps sparse VHDs cheap.
        if (isZero(buf) || done(offset, len)) {
          progress.add(len);
          continue;
        }
        sent += len;
        const p: Promise<void> = blob
          .uploadPages(buf, offset, len, common)
          .then(() => progress.add(len))
          .catch((err: unknown) => {
            failure ??= err;
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= limit) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw this.fail('putPageBlob', key, failure);
      const sha256 = hash.digest('hex');
      try {
        await blob.setMetadata({ [SHA256_META]: sha256 }, common);
      } catch (err) {
        throw this.fail('putPageBlob', key, err);
      }
      progress.done(size);
      this.log.debug(`put page blob ${this.url(key)} (${size} bytes, ${sent} non-zero)`);
      return { key, skipped: false, size, sha256 };
    } finally {
      await fh.close();
    }
  }

  /**
   * The page ranges of an unfinished upload of the same source (its partial marker matches and it
   * has the size), merged; undefined when there is nothing to resume.
   */
  private async writtenPages(
    blob: import('@azure/storage-blob').PageBlobClient,
    size: number,
    source: string,
  ): Promise<{ offset: number; count: number }[] | undefined> {
    let props;
    try {
      props = await blob.getProperties();
    } catch {
      return undefined;
    }
    if (
      props.blobType !== 'PageBlob' ||
      props.contentLength !== size ||
      props.metadata?.[PARTIAL_META] !== source
    )
      return undefined;
    const ranges: { offset: number; count: number }[] = [];
    for await (const r of blob.listPageRanges(0, size)) {
      const last = ranges.at(-1);
      // the service returns inclusive end offsets
      if (last && last.offset + last.count === r.start) last.count += r.end - r.start + 1;
      else ranges.push({ offset: r.start, count: r.end - r.start + 1 });
    }
    return ranges;
  }

  async copy(srcKey: string, dstKey: string): Promise<void> {
    const c = await this.container();
    const src = c.getBlobClient(this.objectName(srcKey));
    try {
      // Same-account copies are authorized by the destination request; with a SAS the source URL carries it.
      const poller = await c
        .getBlobClient(this.objectName(dstKey))
        .beginCopyFromURL(src.url, { intervalInMs: 250 });
      await poller.pollUntilDone();
    } catch (err) {
      throw this.fail(
        'copy',
        azureFailure(err).code === 'CannotVerifyCopySource' || azureFailure(err).status === 404
          ? srcKey
          : dstKey,
        err,
      );
    }
  }

  async delete(key: string): Promise<void> {
    const c = await this.container();
    try {
      await c.getBlobClient(this.objectName(key)).deleteIfExists({ deleteSnapshots: 'include' });
    } catch (err) {
      throw this.fail('delete', key, err);
    }
  }

  /**
   * Azure has no per-blob ACL: a blob is public when its container allows anonymous blob reads.
   * This succeeds when the container already does, sets it when allowContainerPublicAccess is on,
   * and otherwise fails with STORAGE_NOT_SUPPORTED rather than widen access silently.
   */
  async makePublic(key: string): Promise<void> {
    const c = await this.container();
    const url = `azure://${this.account}/${this.bucket}/${this.objectName(key)}`;
    try {
      const policy = await c.getAccessPolicy();
      if (policy.blobPublicAccess === 'blob' || policy.blobPublicAccess === 'container') return;
      if (this.opts.allowContainerPublicAccess) {
        await c.setAccessPolicy('blob', policy.signedIdentifiers);
        this.log.info(`set public blob access on container ${this.bucket} for ${url}`);
        return;
      }
    } catch (err) {
      throw this.fail('makePublic', key, err);
    }
    throw notSupported(
      `makePublic ${url}: Azure has no per-blob public access and container '${this.bucket}' is private`,
      `make the container public ('az storage container set-permission --name ${this.bucket} --public-access blob'), or open the store with azure.allowContainerPublicAccess: true`,
    );
  }

  async close(): Promise<void> {
    this.handle = undefined;
    return Promise.resolve();
  }
}

// memcmp against a zero buffer is far faster than a JS loop over a disk image's long zero runs.
const ZEROS = Buffer.alloc(MAX_PAGE_WRITE);

function isZero(buf: Buffer): boolean {
  return buf.equals(ZEROS.subarray(0, buf.length));
}
