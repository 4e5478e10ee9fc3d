import { silentLogger } from '@mantle/core/log';
import { parseStoreUrl } from './store-url.js';
import type { AzureStore } from './azure-store.js';
import type { ObjectInfo, ObjectStore, OpenStoreOptions } from './types.js';

/**
 * Open the object store a URL names: `file:///dir` or a plain path, `s3://bucket/prefix`,
 * `gs://bucket/prefix`, `azure://account/container/prefix` or
 * `https://account.blob.core.windows.net/container/prefix`. Nothing is contacted until the first call;
 * each backend module (and its SDK) is loaded only when its scheme is used.
 */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<ObjectStore> {
  const loc = parseStoreUrl(url, opts.cwd);
  const logger = (opts.logger ?? silentLogger).child(loc.scheme);
  const env = opts.env ?? process.env;
  switch (loc.scheme) {
    case 'file': {
      const { FileStore } = await import('./file-store.js');
      return new FileStore(loc.bucket, logger);
    }
    case 's3': {
      const { S3Store } = await import('./s3-store.js');
      return new S3Store(loc.bucket, loc.prefix, opts.s3, logger, env);
    }
    case 'gs': {
      const { GcsStore } = await import('./gcs-store.js');
      return new GcsStore(loc.bucket, loc.prefix, opts.gcs, logger);
    }
    case 'azure': {
      const { AzureStore } = await import('./azure-store.js');
      return new AzureStore(
        loc.account!,
        loc.bucket,
        loc.prefix,
        { serviceUrl: loc.serviceUrl, ...opts.azure },
        logger,
        env,
      );
    }
  }
}

/** Collect a listing into an array (sorted by key), for callers that want all of it at once. */
export async function listAll(
  store: ObjectStore,
  prefix = '',
  opts: { recursive?: boolean } = {},
): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of store.list(prefix, opts)) out.push(o);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Narrow a store to the Azure one, whose extra putPageBlob uploads VHDs as page blobs. */
export function isAzureStore(store: ObjectStore): store is AzureStore {
  return store.scheme === 'azure';
}
