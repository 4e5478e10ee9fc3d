// storage: one ObjectStore API over local directories, S3, Google Cloud Storage and Azure Blob.
// The backends (and their SDKs) load lazily inside openStore; only types and small helpers are here.
export * from './types.js';
export { openStore, listAll, isAzureStore } from './open-store.js';
export { parseStoreUrl, normalizePrefix, SUPPORTED_STORE_URLS, type StoreLocation } from './store-url.js';
export { guessContentType } from './content-type.js';
export { sha256File } from './put-source.js';
export { trackProgress, type ProgressTracker } from './progress.js';
export type { FileStore } from './file-store.js';
export type { S3Store } from './s3-store.js';
export type { GcsStore } from './gcs-store.js';
export type { AzureStore } from './azure-store.js';
