import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError } from '@mantle/core/errors';
import { TAR_BLOCK, isZeroBlock, tarChecksumOk, tarHeaderName, tarNumber } from '@mantle/core/fs';

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

/** Index an OVA and read its descriptor (the one `.ovf` entry). */
export async function readOva(path: string): Promise<Ova> {
  const fh = await open(path, 'r');
  const entries = new Map<string, OvaEntry>();
  try {
    const { size: fileSize } = await fh.stat();
    const h = Buffer.alloc(TAR_BLOCK);
    let pos = 0;
    let longName: string | undefined;
    for (;;) {
      if (pos + TAR_BLOCK > fileSize) {
        if (entries.size === 0) throw bad(path, 'it is not a tar archive');
        break;
      }
      await fh.read(h, 0, TAR_BLOCK, pos);
      if (isZeroBlock(h)) break;
      if (!tarChecksumOk(h))
        throw bad(
          path,
          entries.size === 0 ? 'it is not a tar archive' : `a broken tar header at byte ${pos}`,
        );
      const size = tarNumber(h, 124, 12);
      const type = String.fromCharCode(h[156]!);
      let name = longName ?? tarHeaderName(h);
      longName = undefined;
      const dataAt = pos + TAR_BLOCK;
      if (dataAt + size > fileSize) throw bad(path, `the entry ${JSON.stringify(name)} is truncated`);
      if (type === 'L') {
        const b = Buffer.alloc(size);
        await fh.read(b, 0, size, dataAt);
        longName = b.toString('utf8').replace(/\0+$/, '');
      } else if (type === '0' || type === '\0' || type === '7') {
        name = name.replace(/^\.\//, '');
        entries.set(name, { name, offset: dataAt, size });
      }
      pos = dataAt + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
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
