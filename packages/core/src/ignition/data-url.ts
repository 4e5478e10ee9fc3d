// RFC 2397 data URLs the way Butane writes and Ignition reads them.
//
// Encoding rule (deterministic, the same one Butane uses): try `data:,<percent-escaped>`
// and `data:;base64,<base64>` and keep the shorter (percent-escaping wins a tie); when
// compression is allowed, also try gzip+base64 and keep it only if it is shorter even after
// paying for the four characters of `"gzip"`. Text stays readable; binary becomes base64;
// large compressible text becomes gzip. Percent-escaping keeps A–Z a–z 0–9 and -_.!~*'()
// and writes every other byte as %XX (upper-case hex), like Go's dataurl.Escape.
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../errors/index.js';
import { errorMessage } from '../errors/message.js';

const UNRESERVED = /[A-Za-z0-9\-_.!~*'()]/;
// RFC 2396 "uric" minus escapes: what Ignition's data URL parser accepts unescaped.
const URIC = /^[A-Za-z0-9\-_.!~*'();/?:@&=+$,]$/;

function toBuffer(contents: string | Uint8Array): Buffer {
  return typeof contents === 'string' ? Buffer.from(contents, 'utf8') : Buffer.from(contents);
}

/** Percent-escape bytes for a data URL: unreserved ASCII stays, all else becomes %XX. */
export function percentEscape(contents: string | Uint8Array): string {
  const buf = toBuffer(contents);
  let out = '';
  for (const b of buf) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && UNRESERVED.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A data URL holding `contents`: percent-escaped or base64, whichever is shorter. */
export function dataUrl(contents: string | Uint8Array): string {
  const buf = toBuffer(contents);
  const escaped = `,${percentEscape(buf)}`;
  const b64 = `;base64,${buf.toString('base64')}`;
  return `data:${b64.length < escaped.length ? b64 : escaped}`;
}

/** A resource's source and compression for embedded contents. */
export interface EncodedContents {
  source: string;
  /** '' when not compressed ('' rather than absent so a merged child config does not inherit a parent's gzip, as Butane does) */
  compression: '' | 'gzip';
}

/** Encode file contents as Butane does; gzip only when allowed and it pays off. */
export function encodeContents(
  contents: string | Uint8Array,
  opts: { compress?: boolean } = {},
): EncodedContents {
  const buf = toBuffer(contents);
  const plain = dataUrl(buf);
  if (opts.compress === false) return { source: plain, compression: '' };
  const gz = `;base64,${gzipSync(buf, { level: 9 }).toString('base64')}`;
  const plainOpaque = plain.slice('data:'.length);
  if (gz.length + 'gzip'.length < plainOpaque.length) return { source: `data:${gz}`, compression: 'gzip' };
  return { source: plain, compression: '' };
}

/** The parts of a data URL. */
export interface ParsedDataUrl {
  /** the media type and parameters before `;base64`, often empty */
  mediaType: string;
  base64: boolean;
  data: Buffer;
}

function bad(url: string, why: string): InputError {
  const shown = url.length > 60 ? `${url.slice(0, 60)}…` : url;
  return new InputError({
    code: 'IGNITION_DATA_URL',
    message: `invalid data URL ${JSON.stringify(shown)}: ${why}`,
    hint: 'write data:,<percent-escaped text> or data:;base64,<base64>; mantle.dataUrl() makes one',
  });
}

function percentDecode(url: string, s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (s[i] !== '%' && !URIC.test(s[i]!)) {
      throw bad(url, `character ${JSON.stringify(s[i])} at offset ${i} must be percent-escaped`);
    }
    if (s[i] === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw bad(url, `bad escape "%${hex}" at offset ${i}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(code);
    }
  }
  return Buffer.from(bytes);
}

/** Split a data URL into media type, encoding and decoded bytes; throws IGNITION_DATA_URL. */
export function parseDataUrl(url: string): ParsedDataUrl {
  if (!/^data:/i.test(url)) throw bad(url, 'it does not start with "data:"');
  const comma = url.indexOf(',');
  if (comma < 0) throw bad(url, 'there is no "," before the data');
  const header = url.slice(5, comma);
  const base64 = /;base64$/i.test(header);
  const mediaType = base64 ? header.slice(0, -';base64'.length) : header;
  const raw = url.slice(comma + 1);
  if (!base64) return { mediaType, base64, data: percentDecode(url, raw) };
  const text = percentDecode(url, raw)
    .toString('latin1')
    .replace(/[\r\n]/g, '');
  // Buffer.from(…, 'base64') silently skips junk; Ignition does not, so check strictly first.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    const at = text.search(/[^A-Za-z0-9+/=]/);
    throw bad(
      url,
      at >= 0
        ? `bad base64 character ${JSON.stringify(text[at])} at offset ${at}`
        : 'base64 length or padding is wrong',
    );
  }
  return { mediaType, base64, data: Buffer.from(text, 'base64') };
}

/** The bytes a data URL holds; throws InputError IGNITION_DATA_URL when it is malformed. */
export function decodeDataUrl(url: string): Buffer {
  return parseDataUrl(url).data;
}

/** The bytes a resource finally yields: its data URL decoded, then gunzipped if `compression` is gzip. */
export function decodeResourceData(source: string, compression?: string): Buffer {
  const data = decodeDataUrl(source);
  if (compression !== 'gzip') return data;
  try {
    return gunzipSync(data);
  } catch (err) {
    throw new InputError({
      code: 'IGNITION_DATA_URL',
      message: `data URL says compression gzip but does not gunzip: ${errorMessage(err)}`,
      hint: 'remove "compression": "gzip" or gzip the data before base64-encoding it',
      cause: err,
    });
  }
}
