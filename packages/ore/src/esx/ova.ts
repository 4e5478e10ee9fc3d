import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError } from '@mantle/core/errors';

// An OVA is a tar (ustar, the OVF descriptor first) of the .ovf, an optional .mf and the disks.
// ore only reads it in place: an index of the entries (name, offset, size), the descriptor's
// text, and each disk as a byte range of the file, streamed to the lease. Nothing is extracted,
// so no entry name is ever a path on this machine; names are matched against the OVF's hrefs.

/** One file inside the OVA. */
export interface OvaEntry {
  name: string;
  offset: number;
  size: number;
}

/** An OVA's entries and its OVF descriptor. */
export interface Ova {
  path: string;
  entries: Map<string, OvaEntry>;
  ovfName: string;
  descriptor: string;
}

const bad = (path: string, why: string): InputError =>
  new InputError({
    code: 'ESX_BAD_OVA',
    message: `--file ${path}: not a usable OVA: ${why}`,
    hint: 'give an OVA (a tar of an .ovf descriptor and its disks), e.g. made with ovftool or tar',
    details: { file: path },
  });

function field(h: Buffer, start: number, len: number): string {
  const s = h.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(h: Buffer, start: number, len: number): number {
  // GNU base-256 for sizes of 8 GiB and more: the high bit of the first byte set.
  if ((h[start]! & 0x80) !== 0) {
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + h[i]!;
    return n;
  }
  const t = field(h, start, len).trim();
  return t === '' ? 0 : parseInt(t, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === octal(h, 148, 8);
}

/** Index an OVA and read its descriptor (the one `.ovf` entry). */
export async function readOva(path: string): Promise<Ova> {
  const fh = await open(path, 'r');
  const entries = new Map<string, OvaEntry>();
  try {
    const { size: fileSize } = await fh.stat();
    const h = Buffer.alloc(512);
    let pos = 0;
    let longName: string | undefined;
    for (;;) {
      if (pos + 512 > fileSize) {
        if (entries.size === 0) throw bad(path, 'it is not a tar archive');
        break;
      }
      await fh.read(h, 0, 512, pos);
      if (h.every((b) => b === 0)) break;
      if (!checksumOk(h))
        throw bad(
          path,
          entries.size === 0 ? 'it is not a tar archive' : `a broken tar header at byte ${pos}`,
        );
      const size = octal(h, 124, 12);
      const type = String.fromCharCode(h[156]!);
      const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? field(h, 345, 155) : '';
      let name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      longName = undefined;
      const dataAt = pos + 512;
      if (dataAt + size > fileSize) throw bad(path, `the entry ${JSON.stringify(name)} is truncated`);
      if (type === 'L') {
        const b = Buffer.alloc(size);
        await fh.read(b, 0, size, dataAt);
        longName = b.toString('utf8').replace(/\0+$/, '');
      } else if (type === '0' || type === '\0' || type === '7') {
        name = name.replace(/^\.\//, '');
        entries.set(name, { name, offset: dataAt, size });
      }
      pos = dataAt + Math.ceil(size / 512) * 512;
    }
    const ovfs = [...entries.values()].filter((e) => e.name.toLowerCase().endsWith('.ovf'));
    if (ovfs.length !== 1)
      throw bad(
        path,
        ovfs.length === 0 ? 'it holds no .ovf descriptor' : 'it holds more than one .ovf descriptor',
      );
    const ovf = ovfs[0]!;
    if (ovf.size > 16 << 20) throw bad(path, `its descriptor ${ovf.name} is larger than 16 MiB`);
    const buf = Buffer.alloc(ovf.size);
    await fh.read(buf, 0, ovf.size, ovf.offset);
    return { path, entries, ovfName: ovf.name, descriptor: buf.toString('utf8') };
  } finally {
    await fh.close();
  }
}

/** The entry an OVF file item names (`disk.vmdk`), or an InputError naming both. */
export function ovaEntry(ova: Ova, href: string): OvaEntry {
  const e = ova.entries.get(href.replace(/^\.\//, ''));
  if (!e)
    throw bad(ova.path, `${ova.ovfName} refers to ${JSON.stringify(href)}, which the archive does not hold`);
  return e;
}

/** An entry's bytes as a stream. */
export function ovaEntryStream(ova: Ova, e: OvaEntry): Readable {
  if (e.size === 0) return createReadStream(ova.path, { start: 1, end: 0 });
  return createReadStream(ova.path, { start: e.offset, end: e.offset + e.size - 1 });
}
