import type { Readable } from 'node:stream';
import type { Logger } from '@mantle/core/log';

/** The schemes `openStore` understands. */
export type StoreScheme = 'file' | 's3' | 'gs' | 'azure';

/** What a store knows about one object (or, in a non-recursive listing, one "directory"). */
export interface ObjectInfo {
  /** the key relative to the store's prefix; a sub-prefix ends in `/` */
  key: string;
  /** size in bytes (0 for a prefix) */
  size: number;
  /** hex sha256 of the content when known (stored as metadata at upload; computed by the file store on request) */
  sha256?: string;
  /** base64 MD5 when the service reports one (GCS, Azure for single-shot uploads) */
  md5?: string;
  /** the service's entity tag; not a content hash in general (S3 multipart, Azure) */
  etag?: string;
  contentType?: string;
  cacheControl?: string;
  modified?: Date;
  /** true for a common prefix ("directory") in a non-recursive listing */
  isPrefix?: boolean;
}

/** Options of `ObjectStore.list`. */
export interface ListOptions {
  /** descend into sub-prefixes; false lists one level and yields sub-prefixes with `isPrefix` */
  recursive?: boolean;
}

/** Options of `ObjectStore.stat`. */
export interface StatOptions {
  /** compute the sha256 when the store has none recorded (file store only; reads the whole file) */
  sha256?: boolean;
}

/** Called as bytes go out; `total` is undefined for a stream of unknown size. Never decreases. */
export type ProgressFn = (bytes: number, total: number | undefined) => void;

/** A put source: a stream, the bytes themselves, or the path of a local file (a string is always a path). */
export type PutSource = Readable | Buffer | Uint8Array | string;

/** Options of `ObjectStore.put`. */
export interface PutOptions {
  /** Content-Type; guessed from the key's extension when absent */
  contentType?: string;
  cacheControl?: string;
  /** the size of a stream source; enables progress totals and single-shot uploads */
  size?: number;
  /** hex sha256 of a stream source, when the caller knows it; makes skipIfSame work for streams */
  sha256?: string;
  onProgress?: ProgressFn;
  /**
   * Skip the upload when the object already has the same size and sha256 (idempotent reruns).
   * Needs a known sha256: always true for buffers and files, for streams only with `sha256`.
   */
  skipIfSame?: boolean;
  /** upload with public read access in the same request (S3 public-read ACL, GCS publicRead) */
  public?: boolean;
  /** multipart part / block / resumable chunk size in bytes */
  partSize?: number;
  /** parts in flight at once */
  concurrency?: number;
  signal?: AbortSignal;
}

/** What `ObjectStore.put` did. */
export interface PutResult {
  key: string;
  /** true when skipIfSame found identical content and nothing was uploaded */
  skipped: boolean;
  /** on a skip: true when only contentType/cacheControl differed and were updated in place */
  metadataUpdated?: boolean;
  size: number;
  sha256?: string;
  etag?: string;
}

/** Options of `AzureStore.putPageBlob`. */
export interface PutPageBlobOptions {
  onProgress?: ProgressFn;
  /** skip when the blob exists with the same size and sha256 (hashes the file first) */
  skipIfSame?: boolean;
  /** bytes per Put Page request (at most 4 MiB, a multiple of 512) */
  chunkSize?: number;
  /**
   * continue an upload of the same file (same path, size and mtime) that was killed: the pages the
   * blob already has are not sent again (read with Get Page Ranges)
   */
  resume?: boolean;
  concurrency?: number;
  contentType?: string;
  signal?: AbortSignal;
}

/** One bucket (or container, or directory) and a key prefix inside it, with one API for all backends. */
export interface ObjectStore {
  readonly scheme: StoreScheme;
  /** the canonical URL of the store's root, ending in `/` (e.g. `s3://bucket/prefix/`) */
  readonly root: string;
  /** the bucket, container or directory name */
  readonly bucket: string;
  /** the key prefix inside the bucket, '' or ending in `/` */
  readonly prefix: string;
  /** objects whose key (relative to the store prefix) starts with `prefix` */
  list(prefix?: string, opts?: ListOptions): AsyncIterable<ObjectInfo>;
  /** one object's info, or undefined when it does not exist */
  stat(key: string, opts?: StatOptions): Promise<ObjectInfo | undefined>;
  /** a stream of the object's content; rejects with STORAGE_NOT_FOUND when missing */
  get(key: string): Promise<Readable>;
  /** upload (or skip when identical and asked to) */
  put(key: string, source: PutSource, opts?: PutOptions): Promise<PutResult>;
  /** copy inside the store, server-side where the service can */
  copy(srcKey: string, dstKey: string): Promise<void>;
  /** delete; deleting a missing object is not an error */
  delete(key: string): Promise<void>;
  /** grant anonymous read access to one object */
  makePublic(key: string): Promise<void>;
  /** the plain HTTP(S) (or file:) URL an anonymous reader would fetch */
  url(key: string): string;
  /** the key including the store prefix, as the service names it */
  objectName(key: string): string;
  /** release sockets and clients */
  close(): Promise<void>;
}

/** S3 connection options; without keys the AWS SDK's default chain (env, ~/.aws) is used. */
export interface S3StoreOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  /** e.g. http://127.0.0.1:4568 for s3rver or MinIO */
  endpoint?: string;
  forcePathStyle?: boolean;
  maxAttempts?: number;
}

/** Google Cloud Storage options; without credentials Application Default Credentials are used. */
export interface GcsStoreOptions {
  keyFilename?: string;
  credentials?: { client_email?: string; private_key?: string; [k: string]: unknown };
  projectId?: string;
  /** e.g. http://127.0.0.1:4443 for a local server; requests to a custom endpoint are unauthenticated */
  apiEndpoint?: string;
  /** uploads larger than this use the resumable protocol (default 8 MiB) */
  resumableThreshold?: number;
}

/** Azure Blob options: one of accountKey, sasToken or connectionString is required. */
export interface AzureStoreOptions {
  accountName?: string;
  accountKey?: string;
  sasToken?: string;
  connectionString?: string;
  /** the blob service URL, e.g. http://127.0.0.1:10000/devstoreaccount1 for Azurite */
  endpoint?: string;
  /** let makePublic set the container's access level to `blob` when it is private */
  allowContainerPublicAccess?: boolean;
}

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** resolves relative file paths (default process.cwd()) */
  cwd?: string;
  /** AZURE_STORAGE_* fallbacks are read from here (default process.env) */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  s3?: S3StoreOptions;
  gcs?: GcsStoreOptions;
  azure?: AzureStoreOptions;
}
