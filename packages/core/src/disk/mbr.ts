// The four primary entries of a DOS/MBR partition table (enough to describe an MBR-only image
// and to tell a protective or hybrid MBR in front of a GPT).

/** One used MBR primary partition entry. */
export interface MbrPartition {
  number: number;
  bootable: boolean;
  /** partition type byte, e.g. 0x83 Linux, 0xEE GPT protective */
  type: number;
  startLba: number;
  sizeLba: number;
}

/** Decode the primary entries of sector 0; [] when the 55AA signature is missing. */
export function decodeMbr(sector0: Uint8Array): MbrPartition[] {
  const b = Buffer.from(sector0.buffer, sector0.byteOffset, sector0.byteLength);
  if (b.length < 512 || b[510] !== 0x55 || b[511] !== 0xaa) return [];
  const out: MbrPartition[] = [];
  for (let i = 0; i < 4; i++) {
    const off = 446 + i * 16;
    const type = b[off + 4]!;
    if (type === 0) continue;
    out.push({
      number: i + 1,
      bootable: b[off] === 0x80,
      type,
      startLba: b.readUInt32LE(off + 8),
      sizeLba: b.readUInt32LE(off + 12),
    });
  }
  return out;
}

/** True when sector 0 holds an MBR with a GPT protective (type EE) entry. */
export function hasProtectiveMbr(sector0: Uint8Array): boolean {
  return decodeMbr(sector0).some((p) => p.type === 0xee);
}
