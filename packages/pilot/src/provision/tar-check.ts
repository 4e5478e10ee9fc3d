// A pass-through stream that reads tar headers as the archive flows to its extractor and stops
// it at the first entry that would land outside the target root: an absolute name, a `..`
// component, a hard link whose target does so, or a device node. Handles ustar (prefix field),
// GNU long names (L/K) and pax headers (path/linkpath). Symlink targets are not checked: they
// are interpreted inside the instance, where an absolute target is normal (/usr/bin/x -> /etc/alternatives/x).
import { Transform, type TransformCallback } from 'node:stream';
import { FsErrorCode, splitRelative } from '@mantle/core/fs';

const BLOCK = 512;

/** Why a tar entry name may not be extracted (core's confinement rules), or undefined when it may. */
function unsafeEntryName(name: string): string | undefined {
  try {
    splitRelative(name, 'tar entry');
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === FsErrorCode.Absolute) return 'is absolute';
    if (code === FsErrorCode.DotDot) return "has a '..' component";
    if (code === FsErrorCode.ControlChar) return 'contains a control character';
    return (err as Error).message;
  }
}

function field(block: Buffer, start: number, len: number): string {
  const raw = block.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function sizeOf(block: Buffer): number {
  const raw = block.subarray(124, 136);
  if (raw[0]! & 0x80) {
    // GNU base-256 for sizes over 8 GiB
    let n = 0;
    for (let i = 1; i < raw.length; i++) n = n * 256 + raw[i]!;
    return n;
  }
  return parseInt(field(block, 124, 12).trim() || '0', 8);
}

function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!len) break;
    const rec = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Thrown (as the stream's error) for the first unsafe entry. */
export class UnsafeTarEntry extends Error {
  constructor(
    readonly entry: string,
    readonly reason: string,
  ) {
    super(`tar entry ${JSON.stringify(entry)} ${reason}`);
  }
}

/**
 * Passes a tar archive through unchanged, failing at the first unsafe entry. With `stripEnd`
 * the end-of-archive blocks (and anything after them) are left out, so several archives can be
 * joined into one stream.
 */
export function tarCheck(opts: { stripEnd?: boolean } = {}): Transform {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0; // stream offset of buf[0]: everything before it was checked
  let emitted = 0; // stream offset up to which bytes went downstream
  let pending: Buffer = Buffer.alloc(0); // received, not yet passed on (starts at `emitted`)
  let endAt: number | undefined;
  let skip = 0; // data bytes (padded) of the current entry still to pass
  let collect: { type: string; left: number; chunks: Buffer[] } | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  let ended = false;

  const header = (block: Buffer): void => {
    if (block.every((b) => b === 0)) {
      ended = true;
      endAt = pos - BLOCK;
      return;
    }
    const type = String.fromCharCode(block[156] || 0x30);
    const size = sizeOf(block);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
      collect = { type, left: size, chunks: [] };
      skip = padded;
      return;
    }
    const magic = field(block, 257, 6);
    const prefix = magic === 'ustar' ? field(block, 345, 155) : '';
    let name =
      longName ?? pax.get('path') ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    const link = longLink ?? pax.get('linkpath') ?? field(block, 157, 100);
    longName = longLink = undefined;
    pax = new Map();
    while (name.startsWith('./')) name = name.slice(2);
    if (name !== '' && name !== '.') {
      const bad = unsafeEntryName(name);
      if (bad) throw new UnsafeTarEntry(name, bad);
    }
    if (type === '1') {
      const bad = unsafeEntryName(link.replace(/^(\.\/)+/, ''));
      if (bad) throw new UnsafeTarEntry(name, `is a hard link to ${JSON.stringify(link)}, which ${bad}`);
    }
    if (type === '3' || type === '4') throw new UnsafeTarEntry(name, 'is a device node');
    skip = padded;
  };

  const consume = (): void => {
    while (!ended) {
      if (skip > 0) {
        if (buf.length === 0) return;
        const n = Math.min(skip, buf.length);
        if (collect && collect.left > 0) {
          const take = Math.min(collect.left, n);
          collect.chunks.push(buf.subarray(0, take));
          collect.left -= take;
        }
        buf = buf.subarray(n);
        pos += n;
        skip -= n;
        if (skip === 0 && collect) {
          const data = Buffer.concat(collect.chunks);
          if (collect.type === 'L') longName = field(data, 0, data.length);
          else if (collect.type === 'K') longLink = field(data, 0, data.length);
          else if (collect.type === 'x') pax = paxRecords(data);
          collect = undefined;
        }
        continue;
      }
      if (buf.length < BLOCK) return;
      const block = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      pos += BLOCK;
      header(block);
    }
  };

  // Bytes go downstream only once checked: a header is passed on after it was read whole.
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (endAt !== undefined && opts.stripEnd) {
        cb();
        return;
      }
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      try {
        consume();
      } catch (err) {
        cb(err as Error);
        return;
      }
      const limit = endAt !== undefined && opts.stripEnd ? endAt : ended ? emitted + pending.length : pos;
      const n = Math.max(0, limit - emitted);
      const out = pending.subarray(0, n);
      pending = pending.subarray(n);
      emitted += n;
      cb(null, out);
    },
    flush(cb: TransformCallback) {
      // a stream that ends without end blocks: pass on what is left unless the end was cut
      cb(null, opts.stripEnd && endAt !== undefined ? Buffer.alloc(0) : pending);
    },
  });
}
