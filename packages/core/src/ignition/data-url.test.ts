import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  dataUrl,
  decodeDataUrl,
  decodeResourceData,
  encodeContents,
  parseDataUrl,
  percentEscape,
} from './data-url.js';

describe('percentEscape', () => {
  it('keeps RFC 2396 unreserved characters and escapes the rest as upper-case %XX', () => {
    expect(percentEscape("Az09-_.!~*'()")).toBe("Az09-_.!~*'()");
    expect(percentEscape('a b/c:d\n%')).toBe('a%20b%2Fc%3Ad%0A%25');
    expect(percentEscape('é')).toBe('%C3%A9');
  });
});

describe('dataUrl', () => {
  it('percent-escapes readable text', () => {
    expect(dataUrl('hello world\n')).toBe('data:,hello%20world%0A');
  });

  it('uses base64 when it is shorter (binary data)', () => {
    const bin = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
    expect(dataUrl(bin)).toBe(`data:;base64,${bin.toString('base64')}`);
  });

  it('prefers percent-escaping on a tie and for the empty string', () => {
    expect(dataUrl('')).toBe('data:,');
  });

  it('round-trips random bytes', () => {
    for (let i = 0; i < 20; i++) {
      const b = randomBytes(i * 13);
      expect(decodeDataUrl(dataUrl(b)).equals(b)).toBe(true);
    }
  });
});

describe('encodeContents', () => {
  it('gzips large compressible text and says so', () => {
    const text = 'all work and no play makes jack a dull boy\n'.repeat(100);
    const enc = encodeContents(text);
    expect(enc.compression).toBe('gzip');
    expect(enc.source.startsWith('data:;base64,H4sI')).toBe(true);
    expect(gunzipSync(decodeDataUrl(enc.source)).toString()).toBe(text);
    expect(decodeResourceData(enc.source, enc.compression).toString()).toBe(text);
  });

  it('keeps short text readable with compression ""', () => {
    expect(encodeContents('myhost')).toEqual({ source: 'data:,myhost', compression: '' });
  });

  it('never gzips when compress is false', () => {
    const text = 'x'.repeat(5000);
    expect(encodeContents(text, { compress: false })).toEqual({ source: `data:,${text}`, compression: '' });
  });
});

describe('parseDataUrl / decodeDataUrl', () => {
  it('reads media type and parameters', () => {
    const p = parseDataUrl('data:text/plain;charset=utf-8;base64,aGk=');
    expect(p).toMatchObject({ mediaType: 'text/plain;charset=utf-8', base64: true });
    expect(p.data.toString()).toBe('hi');
    expect(decodeDataUrl('data:text/plain,a%2Cb,c').toString()).toBe('a,b,c');
  });

  it.each([
    ['data:;base64,bm90IGJhc2U2NA=*', /bad base64 character "\*"/],
    ['data:;base64,abc', /length or padding/],
    ['data:,a%zz', /bad escape "%zz"/],
    ['data:,a b', /character " " at offset 1 must be percent-escaped/],
    ['data:,aé', /must be percent-escaped/],
    ['data:hello', /no ","/],
    ['https://example.test/x', /does not start with "data:"/],
  ])('refuses %s', (url, why) => {
    expect(() => decodeDataUrl(url)).toThrow(why);
    try {
      decodeDataUrl(url);
    } catch (err) {
      expect((err as { code: string }).code).toBe('IGNITION_DATA_URL');
    }
  });

  it('refuses gzip that does not gunzip', () => {
    expect(() => decodeResourceData('data:,plain', 'gzip')).toThrow(/does not gunzip/);
  });
});
