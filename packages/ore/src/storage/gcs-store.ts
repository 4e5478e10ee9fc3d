import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '@mantle/core/errors';
import { registerSecret, silentLogger, type Logger } from '@mantle/core/log';
import { guessContentType } from './content-type.js';
import { storageError, type ServiceFailure } from './errors.js';
import { trackProgress } from './progress.js';
import { HashCounter, openSource, prepareSource, skipIfUnchanged } from './put-source.js';
import { SHA256_META, checkKey, encodeKey } from './store-url.js';
import type {
  GcsStoreOptions,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  PutSource,
  StatOptions,
} from './types.js';

// Type-only: @google-cloud/storage is loaded with import() on first use.
type GcsSdk = typeof import('@google-cloud/storage');
type Storage = InstanceType<GcsSdk['Storage']>;
type Bucket = ReturnType<Storage['bucket']>;

const MIB = 1024 * 1024;
const DEFAULT_ENDPOINT = 'https://storage.googleapis.com';

interface GcsObjectResource {
  name?: string;
  size?: string | number;
  md5Hash?: string;
  etag?: string;
  contentType?: string;
  cacheControl?: string;
  updated?: string;
  metadata?: Record<string, string | number | boolean | null>;
}

/** Turn a @google-cloud/storage error into the fields storageError classifies. */
function gcsFailure(err: unknown): ServiceFailure {
  const e = err as {
    code?: number | string;
    message?: string;
    errors?: Array<{ reason?: string; message?: string }>;
  };
  if (typeof e.code === 'number') {
    const reason = e.errors?.[0]?.reason;
    const message = e.message ?? e.errors?.[0]?.message;
    // The JSON API answers 404 notFound for both; only the message tells a missing bucket apart.
    const code = e.code === 404 && /bucket/i.test(message ?? '') ? 'NoSuchBucket' : reason;
    return { status: e.code, code, message };
  }
  return { code: typeof e.code === 'string' ? e.code : undefined, message: e.message };
}

/** A Google Cloud Storage bucket as an ObjectStore. */
export class GcsStore implements ObjectStore {
  readonly scheme = 'gs' as const;
  readonly root: string;
  private handle: Promise<Bucket> | undefined;
  private readonly log: Logger;

  constructor(
    readonly bucket: string,
    readonly prefix: string,
    private readonly opts: GcsStoreOptions = {},
    logger: Logger = silentLogger,
  ) {
    this.root = `gs://${bucket}/${prefix}`;
    this.log = logger;
    registerSecret(opts.credentials?.private_key);
  }

  objectName(key: string): string {
    return this.prefix + checkKey(key);
  }

  url(key: string): string {
    const ep = (this.opts.apiEndpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    return `${ep}/${this.bucket}/${encodeKey(this.objectName(key))}`;
  }

  private gcs(): Promise<Bucket> {
    this.handle ??= (async () => {
      const { Storage } = await import('@google-cloud/storage');
      const o = this.opts;
      const storage = new Storage({
        ...(o.projectId ? { projectId: o.projectId } : {}),
        ...(o.keyFilename ? { keyFilename: o.keyFilename } : {}),
        ...(o.credentials ? { credentials: o.credentials } : {}),
        ...(o.apiEndpoint ? { apiEndpoint: o.apiEndpoint } : {}),
      });
      return storage.bucket(this.bucket);
    })();
    return this.handle;
  }

  private fail(op: string, key: string | undefined, err: unknown): Error {
    const url = key === undefined ? this.root : `gs://${this.bucket}/${this.objectName(key)}`;
    return storageError(
      gcsFailure(err),
      { op, url, endpoint: this.opts.apiEndpoint ?? DEFAULT_ENDPOINT },
      err,
    );
  }

  private info(key: string, m: GcsObjectResource): ObjectInfo {
    const sha256 = m.metadata?.[SHA256_META];
    return {
      key,
      size: Number(m.size ?? 0),
      ...(typeof sha256 === 'string' ? { sha256 } : {}),
      ...(m.md5Hash ? { md5: m.md5Hash } : {}),
      ...(m.etag ? { etag: m.etag } : {}),
      ...(m.contentType ? { contentType: m.contentType } : {}),
      ...(m.cacheControl ? { cacheControl: m.cacheControl } : {}),
      ...(m.updated ? { modified: new Date(m.updated) } : {}),
    };
  }

  async *list(prefix = '', opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const bucket = await this.gcs();
    let query: Record<string, unknown> | null = {
      prefix: this.prefix + prefix,
      autoPaginate: false,
      ...(opts.recursive ? {} : { delimiter: '/' }),
    };
    while (query) {
      let files, next, resp;
      try {
        [files, next, resp] = await bucket.getFiles(query);
      } catch (err) {
        throw this.fail('list', undefined, err);
      }
      for (const p of (resp as { prefixes?: string[] } | undefined)?.prefixes ?? []) {
        yield { key: p.slice(this.prefix.length), size: 0, isPrefix: true };
      }
      for (const f of files) yield this.info(f.name.slice(this.prefix.length), f.metadata);
      query = (next as Record<string, unknown> | null) ?? null;
    }
  }

  async stat(key: string, _opts: StatOptions = {}): Promise<ObjectInfo | undefined> {
    const bucket = await this.gcs();
    try {
      const [m] = await bucket.file(this.objectName(key)).getMetadata();
      return this.info(key, m);
    } catch (err) {
      const f = gcsFailure(err);
      if (f.status === 404 && f.code !== 'NoSuchBucket') return undefined;
      throw this.fail('stat', key, err);
    }
  }

  async get(key: string): Promise<Readable> {
    // Stat first: a read stream reports a missing object only once read, as a stream error.
    if (!(await this.stat(key)))
      throw this.fail('get', key, Object.assign(new Error('no such object'), { code: 404 }));
    const bucket = await this.gcs();
    return bucket.file(this.objectName(key)).createReadStream({ validation: 'crc32c' });
  }

  async put(key: string, source: PutSource, opts: PutOptions = {}): Promise<PutResult> {
    const name = this.objectName(key);
    const src = await prepareSource(source, opts);
    const skipped = await skipIfUnchanged(
      key,
      src,
      opts,
      () => this.stat(key),
      async (_existing, change) => {
        try {
          await (await this.gcs()).file(name).setMetadata(change);
        } catch (err) {
          throw this.fail('put', key, err);
        }
      },
      () => this.log.debug(`skip gs://${this.bucket}/${name}: same size and sha256`),
    );
    if (skipped) return skipped;
    const bucket = await this.gcs();
    const file = bucket.file(name);
    const threshold = this.opts.resumableThreshold ?? 8 * MIB;
    const resumable = src.size === undefined || src.size > threshold;
    const progress = trackProgress(opts.onProgress, src.size);
    const counter = new HashCounter(resumable ? undefined : (n) => progress.to(n));
    const out: Writable = file.createWriteStream({
      resumable,
      validation: 'crc32c',
      ...(resumable && opts.partSize
        ? { chunkSize: Math.ceil(opts.partSize / (256 * 1024)) * 256 * 1024 }
        : {}),
      ...(opts.public ? { predefinedAcl: 'publicRead' as const } : {}),
      metadata: {
        contentType: opts.contentType ?? guessContentType(key),
        ...(opts.cacheControl ? { cacheControl: opts.cacheControl } : {}),
        ...(src.sha256 ? { metadata: { [SHA256_META]: src.sha256.toLowerCase() } } : {}),
      },
    });
    // Resumable uploads report bytes the server acknowledged; simple ones report what was read.
    out.on('progress', (p: { bytesWritten?: number }) => {
      if (resumable && p.bytesWritten !== undefined) progress.to(p.bytesWritten);
    });
    let resource: GcsObjectResource | undefined;
    out.on('metadata', (m: GcsObjectResource) => (resource = m));
    try {
      await pipeline(openSource(src, 4 * MIB), counter, out, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : err;
      throw this.fail('put', key, err);
    }
    const sha256 = counter.digest();
    if (src.sha256 !== undefined && sha256 !== src.sha256.toLowerCase()) {
      await this.delete(key);
      throw new InputError({
        code: 'STORAGE_SHA256_MISMATCH',
        message: `upload to gs://${this.bucket}/${name}: content sha256 ${sha256} differs from the expected ${src.sha256}`,
        hint: 'the source changed while it was read, or the sha256 given with the stream is wrong',
      });
    }
    progress.done(counter.bytes);
    this.log.debug(
      `put gs://${this.bucket}/${name} (${counter.bytes} bytes, ${resumable ? 'resumable' : 'simple'})`,
    );
    return {
      key,
      skipped: false,
      size: counter.bytes,
      sha256,
      ...(resource?.etag ? { etag: resource.etag } : {}),
    };
  }

  async copy(srcKey: string, dstKey: string): Promise<void> {
    const bucket = await this.gcs();
    try {
      // rewriteTo: server-side, metadata (and so the sha256) travels with the object.
      await bucket.file(this.objectName(srcKey)).copy(bucket.file(this.objectName(dstKey)));
    } catch (err) {
      throw this.fail('copy', gcsFailure(err).status === 404 ? srcKey : dstKey, err);
    }
  }

  async delete(key: string): Promise<void> {
    const bucket = await this.gcs();
    try {
      await bucket.file(this.objectName(key)).delete({ ignoreNotFound: true });
    } catch (err) {
      throw this.fail('delete', key, err);
    }
  }

  async makePublic(key: string): Promise<void> {
    const bucket = await this.gcs();
    try {
      await bucket.file(this.objectName(key)).makePublic();
    } catch (err) {
      const f = gcsFailure(err);
      if (f.status === 400 && /uniform bucket-level access/i.test(f.message ?? '')) {
        throw storageError(
          {
            code: 'NotImplemented',
            message: 'the bucket uses uniform bucket-level access, so object ACLs are disabled',
          },
          { op: 'makePublic', url: `gs://${this.bucket}/${this.objectName(key)}` },
          err,
        );
      }
      throw this.fail('makePublic', key, err);
    }
  }

  async close(): Promise<void> {
    this.handle = undefined;
    return Promise.resolve();
  }
}
