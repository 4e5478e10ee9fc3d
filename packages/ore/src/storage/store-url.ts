import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@mantle/core/errors';
import type { StoreScheme } from './types.js';

/** The URL forms `openStore` accepts, for messages and docs. */
export const SUPPORTED_STORE_URLS = [
  'file:///dir/prefix',
  '/plain/path or ./relative/path (file store)',
  's3://bucket/prefix',
  'gs://bucket/prefix',
  'azure://account/container/prefix',
  'https://account.blob.core.windows.net/container/prefix',
] as const;

/** A parsed store URL. */
export interface StoreLocation {
  scheme: StoreScheme;
  /** bucket or container; for file stores the absolute directory */
  bucket: string;
  /** '' or a prefix ending in `/` */
  prefix: string;
  /** Azure storage account */
  account?: string;
  /** Azure blob service URL when the URL named one (https://account.blob.core.windows.net) */
  serviceUrl?: string;
}

const AZURE_HOST = /^([a-z0-9]{3,24})\.blob\.core\.windows\.net$/;

/** Parse a store URL or plain path; InputError (STORAGE_BAD_URL) naming the URL when it is not one. */
export function parseStoreUrl(url: string, cwd: string = process.cwd()): StoreLocation {
  const bad = (why: string): InputError =>
    new InputError({
      code: 'STORAGE_BAD_URL',
      message: `storage URL '${url}': ${why}`,
      hint: `use one of: ${SUPPORTED_STORE_URLS.join(', ')}`,
      details: { url },
    });
  if (url === '') throw bad('is empty');
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  // No scheme (or a one-letter "scheme", i.e. a Windows drive) means a plain path: the file store.
  if (!m || m[1]!.length === 1) {
    return { scheme: 'file', bucket: isAbsolute(url) ? resolve(url) : resolve(cwd, url), prefix: '' };
  }
  const scheme = m[1]!.toLowerCase();
  switch (scheme) {
    case 'file': {
      let dir: string;
      try {
        dir = fileURLToPath(url);
      } catch (err) {
        throw new InputError({
          code: 'STORAGE_BAD_URL',
          message: `storage URL '${url}': not a valid file: URL`,
          hint: 'write file:///absolute/dir or give a plain path',
          cause: err,
        });
      }
      return { scheme: 'file', bucket: resolve(dir), prefix: '' };
    }
    case 's3':
    case 'gs': {
      const rest = url.slice(scheme.length + 3);
      if (!url.slice(scheme.length).startsWith('://')) throw bad(`expected ${scheme}://bucket/prefix`);
      const [bucket, ...path] = rest.split('/');
      if (!bucket) throw bad('names no bucket');
      return { scheme, bucket, prefix: normalizePrefix(path.join('/')) };
    }
    case 'azure': {
      if (!url.startsWith('azure://')) throw bad('expected azure://account/container/prefix');
      const [account, container, ...path] = url.slice('azure://'.length).split('/');
      if (!account) throw bad('names no storage account');
      if (!container) throw bad('names no container (azure://account/container/prefix)');
      return { scheme: 'azure', bucket: container, prefix: normalizePrefix(path.join('/')), account };
    }
    case 'https': {
      const u = new URL(url);
      const host = AZURE_HOST.exec(u.hostname);
      if (!host)
        throw bad(
          'is an https URL but not an Azure blob URL (https://account.blob.core.windows.net/container)',
        );
      const [container, ...path] = u.pathname.replace(/^\//, '').split('/');
      if (!container) throw bad('names no container');
      return {
        scheme: 'azure',
        bucket: container,
        prefix: normalizePrefix(decodeURIComponent(path.join('/'))),
        account: host[1]!,
        serviceUrl: `https://${u.hostname}`,
      };
    }
    default:
      throw new InputError({
        code: 'STORAGE_UNSUPPORTED_URL',
        message: `storage URL '${url}': unsupported scheme '${scheme}:'`,
        hint: `supported: ${SUPPORTED_STORE_URLS.join(', ')}`,
        details: { url, scheme },
      });
  }
}

/** '' or a prefix ending in one `/`, without leading slashes. */
export function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, '');
  if (p === '') return '';
  return p.endsWith('/') ? p : `${p}/`;
}

/** Check a key given by a caller: relative, non-empty, no `.`/`..` segments (they mean different things per service). */
export function checkKey(key: string, what = 'key'): string {
  if (
    key === '' ||
    key.startsWith('/') ||
    key.split('/').some((s) => s === '.' || s === '..') ||
    key.includes('\0')
  ) {
    throw new InputError({
      code: 'STORAGE_BAD_KEY',
      message: `object ${what} '${key}' is not a valid key`,
      hint: 'keys are relative paths like dir/name.ext without ".", ".." or a leading "/"',
      details: { key },
    });
  }
  return key;
}

/** The object-metadata key (x-amz-meta-sha256, GCS/Azure metadata `sha256`) carrying the content's hex sha256. */
export const SHA256_META = 'sha256';

/** Percent-encode a key for a URL path, keeping the slashes. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
