import { describe, expect, it } from 'vitest';
import { InputError } from '@mantle/core/errors';
import { checkKey, encodeKey, normalizePrefix, parseStoreUrl } from './store-url.js';

describe('parseStoreUrl', () => {
  it('reads plain paths and file: URLs as file stores', () => {
    expect(parseStoreUrl('/srv/mirror')).toEqual({ scheme: 'file', bucket: '/srv/mirror', prefix: '' });
    expect(parseStoreUrl('out/dir', '/work')).toEqual({
      scheme: 'file',
      bucket: '/work/out/dir',
      prefix: '',
    });
    expect(parseStoreUrl('./x/', '/w')).toEqual({ scheme: 'file', bucket: '/w/x', prefix: '' });
    expect(parseStoreUrl('file:///srv/a%20b')).toEqual({ scheme: 'file', bucket: '/srv/a b', prefix: '' });
  });

  it('reads bucket and prefix of s3:// and gs:// URLs', () => {
    expect(parseStoreUrl('s3://bkt')).toEqual({ scheme: 's3', bucket: 'bkt', prefix: '' });
    expect(parseStoreUrl('s3://bkt/')).toEqual({ scheme: 's3', bucket: 'bkt', prefix: '' });
    expect(parseStoreUrl('s3://bkt/a/b')).toEqual({ scheme: 's3', bucket: 'bkt', prefix: 'a/b/' });
    expect(parseStoreUrl('gs://flatcar-jenkins/alpha/boards/')).toEqual({
      scheme: 'gs',
      bucket: 'flatcar-jenkins',
      prefix: 'alpha/boards/',
    });
  });

  it('reads azure:// and blob.core.windows.net URLs', () => {
    expect(parseStoreUrl('azure://acct/ctr/p/q')).toEqual({
      scheme: 'azure',
      bucket: 'ctr',
      prefix: 'p/q/',
      account: 'acct',
    });
    expect(parseStoreUrl('https://acct.blob.core.windows.net/ctr/img')).toEqual({
      scheme: 'azure',
      bucket: 'ctr',
      prefix: 'img/',
      account: 'acct',
      serviceUrl: 'https://acct.blob.core.windows.net',
    });
  });

  it('names the URL and the supported schemes for an unknown scheme', () => {
    let err: unknown;
    try {
      parseStoreUrl('ftp://x/y');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('STORAGE_UNSUPPORTED_URL');
    expect((err as InputError).message).toContain("'ftp://x/y'");
    expect((err as InputError).hint).toMatch(/s3:\/\/.*gs:\/\/.*azure:\/\//);
  });

  it('rejects URLs that name no bucket, container or account', () => {
    for (const url of [
      's3://',
      's3:/bkt',
      'gs:///p',
      'azure://acct',
      'azure:///ctr',
      'https://example.com/x',
      '',
    ]) {
      expect(() => parseStoreUrl(url), url).toThrow(InputError);
    }
  });
});

describe('keys and prefixes', () => {
  it('normalizes prefixes to "" or one trailing slash', () => {
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('/a/b')).toBe('a/b/');
    expect(normalizePrefix('a/')).toBe('a/');
  });

  it('refuses keys with dot segments, leading slashes or NUL', () => {
    expect(checkKey('a/b.bin')).toBe('a/b.bin');
    for (const k of ['', '/a', 'a/../b', './a', 'a/.', 'a\0b'])
      expect(() => checkKey(k), k).toThrow(/not a valid key/);
  });

  it('percent-encodes keys for URLs but keeps slashes', () => {
    expect(encodeKey('dir one/a+b#c.txt')).toBe('dir%20one/a%2Bb%23c.txt');
  });
});
