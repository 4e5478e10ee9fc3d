// A newc ("070701") cpio archive writer: enough to append vm-pilot's init to an initrd. The
// kernel unpacks concatenated archives in order (later files win), each starting 4-byte aligned.

export interface CpioEntry {
  /** path inside the archive, without a leading / */
  name: string;
  /** S_IFDIR/S_IFREG bits plus permissions */
  mode: number;
  data?: Buffer;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export const cpioDir = (name: string, perm = 0o755): CpioEntry => ({ name, mode: S_IFDIR | perm });
export const cpioFile = (name: string, data: Buffer, perm = 0o755): CpioEntry => ({
  name,
  mode: S_IFREG | perm,
  data,
});

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

/** The archive bytes (owner root, mtime 0, with the TRAILER!!! entry). */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  let ino = 1;
  const push = (b: Buffer): void => {
    parts.push(b);
    offset += b.length;
  };
  for (const e of [...entries, { name: 'TRAILER!!!', mode: 0 }]) {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`);
    const fields = [ino++, e.mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    push(Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii'));
    push(name);
    push(pad4(offset));
    push(data);
    push(pad4(offset));
  }
  return Buffer.concat(parts);
}
