import { Readable } from 'node:stream';
import { InputError } from '@mantle/core/errors';
import { registerSecret, silentLogger, type Logger } from '@mantle/core/log';
import { guessContentType } from './content-type.js';
import { storageError, type ServiceFailure } from './errors.js';
import { trackProgress } from './progress.js';
import { hashedBody, openSource, prepareSource, skipIfUnchanged } from './put-source.js';
import { SHA256_META, checkKey, encodeKey } from './store-url.js';
import { quietAwsSdkNodeNotice } from '../cloud/sdk-warnings.js';
import type {
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  PutSource,
  S3StoreOptions,
  StatOptions,
} from './types.js';

// Type-only references: the SDK itself is loaded with import() on first use, so importing
// @mantle/ore never pays for it.
type S3Sdk = typeof import('@aws-sdk/client-s3');
type S3Client = InstanceType<S3Sdk['S3Client']>;
type LibStorage = typeof import('@aws-sdk/lib-storage');

const MIB = 1024 * 1024;
// CopyObject copies at most 5 GiB in one request; larger objects are streamed through.
const MAX_COPY = 5 * 1024 * MIB;

/** Turn an AWS SDK error into the fields storageError classifies. */
function s3Failure(err: unknown): ServiceFailure {
  const e = err as {
    name?: string;
    Code?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    cause?: { code?: string };
  };
  const netCode = e.code ?? e.cause?.code;
  const status = e.$metadata?.httpStatusCode;
  // HEAD answers carry no body: the SDK names them after the status ("NotFound", "403", "Forbidden").
  const code = e.Code ?? (e.name && e.name !== 'Error' && !/^\d+$/.test(e.name) ? e.name : netCode);
  return { status, code, message: e.message };
}

/** An S3 bucket (or an S3-compatible service) as an ObjectStore. */
export class S3Store implements ObjectStore {
  readonly scheme = 's3' as const;
  readonly root: string;
  private client: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
  private bucketChecked = false;
  private readonly log: Logger;

  constructor(
    readonly bucket: string,
    readonly prefix: string,
    private readonly opts: S3StoreOptions = {},
    logger: Logger = silentLogger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.root = `s3://${bucket}/${prefix}`;
    this.log = logger;
    quietAwsSdkNodeNotice();
    registerSecret(opts.secretAccessKey);
    registerSecret(opts.sessionToken);
  }

  objectName(key: string): string {
    return this.prefix + checkKey(key);
  }

  url(key: string): string {
    const name = encodeKey(this.objectName(key));
    if (this.opts.endpoint) {
      const ep = this.opts.endpoint.replace(/\/+$/, '');
      if (this.opts.forcePathStyle) return `${ep}/${this.bucket}/${name}`;
      const u = new URL(ep);
      return `${u.protocol}//${this.bucket}.${u.host}/${name}`;
    }
    return `https://${this.bucket}.s3.${this.region()}.amazonaws.com/${name}`;
  }

  private region(): string {
    return this.opts.region ?? this.env.AWS_REGION ?? this.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  }

  private sdk(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    this.client ??= (async () => {
      const sdk = await import('@aws-sdk/client-s3');
      const o = this.opts;
      const client = new sdk.S3Client({
        region: this.region(),
        followRegionRedirects: true,
        maxAttempts: o.maxAttempts ?? 3,
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        ...(o.forcePathStyle !== undefined ? { forcePathStyle: o.forcePathStyle } : {}),
        ...(o.accessKeyId && o.secretAccessKey
          ? {
              credentials: {
                accessKeyId: o.accessKeyId,
                secretAccessKey: o.secretAccessKey,
                ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
              },
            }
          : {}),
        // S3-compatible services (MinIO, s3rver, Ceph) often reject the SDK's default flexible
        // checksums; send them only where the API requires them when the endpoint is not AWS.
        ...(o.endpoint
          ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
          : {}),
      });
      return { sdk, client };
    })();
    return this.client;
  }

  private fail(op: string, key: string | undefined, err: unknown): Error {
    const url = key === undefined ? this.root : `s3://${this.bucket}/${this.objectName(key)}`;
    return storageError(s3Failure(err), { op, url, endpoint: this.opts.endpoint ?? 'S3' }, err);
  }

  // A HEAD 404 cannot tell a missing key from a missing bucket; ask once which it is.
  private async checkBucket(op: string, key: string): Promise<void> {
    if (this.bucketChecked) return;
    const { sdk, client } = await this.sdk();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.bucket }));
      this.bucketChecked = true;
    } catch (err) {
      const f = s3Failure(err);
      if (f.status === 404) f.code = 'NoSuchBucket';
      throw this.fail(op, key, err instanceof Error ? Object.assign(err, { Code: f.code }) : err);
    }
  }

  async *list(prefix = '', opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const { sdk, client } = await this.sdk();
    let token: string | undefined;
    const full = this.prefix + prefix;
    do {
      let page;
      try {
        page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: full,
            ...(opts.recursive ? {} : { Delimiter: '/' }),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (err) {
        throw this.fail('list', undefined, err);
      }
      // Sub-prefixes first is S3's own order within a page; callers sort if they care.
      for (const p of page.CommonPrefixes ?? []) {
        if (p.Prefix) yield { key: p.Prefix.slice(this.prefix.length), size: 0, isPrefix: true };
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield {
          key: o.Key.slice(this.prefix.length),
          size: o.Size ?? 0,
          ...(o.ETag ? { etag: o.ETag } : {}),
          ...(o.LastModified ? { modified: o.LastModified } : {}),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async stat(key: string, _opts: StatOptions = {}): Promise<ObjectInfo | undefined> {
    const { sdk, client } = await this.sdk();
    try {
      const h = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.objectName(key) }),
      );
      const sha256 = h.Metadata?.[SHA256_META];
      return {
        key,
        size: h.ContentLength ?? 0,
        ...(sha256 ? { sha256 } : {}),
        ...(h.ETag ? { etag: h.ETag } : {}),
        ...(h.ContentType ? { contentType: h.ContentType } : {}),
        ...(h.CacheControl ? { cacheControl: h.CacheControl } : {}),
        ...(h.LastModified ? { modified: h.LastModified } : {}),
      };
    } catch (err) {
      if (s3Failure(err).status === 404) {
        await this.checkBucket('stat', key);
        return undefined;
      }
      throw this.fail('stat', key, err);
    }
  }

  async get(key: string): Promise<Readable> {
    const { sdk, client } = await this.sdk();
    try {
      const r = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.objectName(key) }),
      );
      if (r.Body instanceof Readable) return r.Body;
      throw new Error('GetObject returned no stream body');
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
      (existing, change) => this.replaceHeaders(key, existing, change),
      () => this.log.debug(`skip s3://${this.bucket}/${name}: same size and sha256`),
    );
    if (skipped) return skipped;
    const { client } = await this.sdk();
    const { Upload } = (await import('@aws-sdk/lib-storage')) as LibStorage;
    const progress = trackProgress(opts.onProgress, src.size);
    const counter = hashedBody(openSource(src, 4 * MIB));
    const upload = new Upload({
      client,
      partSize: Math.max(5 * MIB, opts.partSize ?? 8 * MIB),
      queueSize: opts.concurrency ?? 4,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: name,
        Body: counter,
        ContentType: opts.contentType ?? guessContentType(key),
        ...(src.size !== undefined && src.size < Math.max(5 * MIB, opts.partSize ?? 8 * MIB)
          ? { ContentLength: src.size }
          : {}),
        ...(opts.cacheControl ? { CacheControl: opts.cacheControl } : {}),
        ...(src.sha256 ? { Metadata: { [SHA256_META]: src.sha256.toLowerCase() } } : {}),
        ...(opts.public ? { ACL: 'public-read' as const } : {}),
      },
    });
    upload.on('httpUploadProgress', (p) => {
      if (p.loaded !== undefined) progress.to(p.loaded);
    });
    const onAbort = (): void => void upload.abort().catch(() => undefined);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let etag: string | undefined;
    try {
      const out = await upload.done();
      etag = out.ETag;
    } catch (err) {
      counter.destroy();
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : err;
      throw this.fail('put', key, err);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    const sha256 = counter.digest();
    if (src.sha256 !== undefined && sha256 !== src.sha256.toLowerCase()) {
      // The object now claims a hash its content does not have: remove it rather than leave a lie.
      await this.delete(key);
      throw new InputError({
        code: 'STORAGE_SHA256_MISMATCH',
        message: `upload to s3://${this.bucket}/${name}: content sha256 ${sha256} differs from the expected ${src.sha256}`,
        hint: 'the source changed while it was read, or the sha256 given with the stream is wrong',
      });
    }
    progress.done(counter.bytes);
    this.log.debug(`put s3://${this.bucket}/${name} (${counter.bytes} bytes)`);
    return { key, skipped: false, size: counter.bytes, sha256, ...(etag ? { etag } : {}) };
  }

  // S3 metadata is immutable: a copy onto itself with REPLACE is how headers change without a re-upload.
  private async replaceHeaders(
    key: string,
    existing: ObjectInfo,
    change: { contentType?: string; cacheControl?: string },
  ): Promise<void> {
    if (existing.size > MAX_COPY) {
      this.log.warn(
        `s3://${this.bucket}/${this.objectName(key)}: content unchanged, but headers of objects over 5 GiB are not updated`,
      );
      return;
    }
    const { sdk, client } = await this.sdk();
    try {
      await client.send(
        new sdk.CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.objectName(key),
          CopySource: `${this.bucket}/${encodeKey(this.objectName(key))}`,
          MetadataDirective: 'REPLACE',
          ...(existing.sha256 ? { Metadata: { [SHA256_META]: existing.sha256 } } : {}),
          ...(change.contentType ? { ContentType: change.contentType } : {}),
          ...(change.cacheControl ? { CacheControl: change.cacheControl } : {}),
        }),
      );
    } catch (err) {
      throw this.fail('put', key, err);
    }
  }

  async copy(srcKey: string, dstKey: string): Promise<void> {
    const { sdk, client } = await this.sdk();
    const info = await this.stat(srcKey);
    if (!info)
      throw this.fail('copy', srcKey, Object.assign(new Error('no such key'), { Code: 'NoSuchKey' }));
    if (info.size > MAX_COPY) {
      // Beyond CopyObject's limit: stream through this process, carrying the recorded hash along.
      await this.put(dstKey, await this.get(srcKey), {
        size: info.size,
        ...(info.sha256 ? { sha256: info.sha256 } : {}),
        ...(info.contentType ? { contentType: info.contentType } : {}),
        ...(info.cacheControl ? { cacheControl: info.cacheControl } : {}),
      });
      return;
    }
    try {
      await client.send(
        new sdk.CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.objectName(dstKey),
          CopySource: `${this.bucket}/${encodeKey(this.objectName(srcKey))}`,
          MetadataDirective: 'COPY',
        }),
      );
    } catch (err) {
      throw this.fail('copy', dstKey, err);
    }
  }

  async delete(key: string): Promise<void> {
    const { sdk, client } = await this.sdk();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectName(key) }));
    } catch (err) {
      throw this.fail('delete', key, err);
    }
  }

  async makePublic(key: string): Promise<void> {
    const { sdk, client } = await this.sdk();
    try {
      await client.send(
        new sdk.PutObjectAclCommand({ Bucket: this.bucket, Key: this.objectName(key), ACL: 'public-read' }),
      );
    } catch (err) {
      const e = this.fail('makePublic', key, err);
      if (s3Failure(err).code === 'AccessControlListNotSupported') {
        throw storageError(
          {
            code: 'NotImplemented',
            message: 'the bucket enforces bucket-owner object ownership, so object ACLs are disabled',
          },
          { op: 'makePublic', url: `s3://${this.bucket}/${this.objectName(key)}` },
          err,
        );
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.client) (await this.client).client.destroy();
    this.client = undefined;
  }
}
