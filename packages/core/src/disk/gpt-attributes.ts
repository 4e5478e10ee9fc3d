// GPT partition attributes are a 64-bit field: bits 0-2 are defined by UEFI, bits 48-63 belong to
// the partition type (Flatcar/ChromeOS keep USR A/B priority, tries and successful there).
// We keep them as bigint so bit 63 survives, and speak sfdisk's text form for humans.

/** UEFI attribute bits with the names sfdisk uses. */
export const ATTR_BITS = {
  RequiredPartition: 0,
  NoBlockIOProtocol: 1,
  LegacyBIOSBootable: 2,
} as const;

const NAMED: readonly [string, number][] = Object.entries(ATTR_BITS);

/** Set bit `bit` (0-63) in an attribute value. */
export function setAttrBit(attrs: bigint, bit: number, on = true): bigint {
  const mask = 1n << BigInt(bit);
  return on ? attrs | mask : attrs & ~mask;
}

/** True when bit `bit` (0-63) is set. */
export function hasAttrBit(attrs: bigint, bit: number): boolean {
  return ((attrs >> BigInt(bit)) & 1n) === 1n;
}

/**
 * The attribute value as sfdisk prints it: `RequiredPartition LegacyBIOSBootable GUID:48,56`.
 * Like sfdisk, bits 3-47 (reserved by UEFI) are not shown; the JSON output keeps the raw value.
 */
export function formatAttrs(attrs: bigint): string {
  const words: string[] = [];
  for (const [name, bit] of NAMED) if (hasAttrBit(attrs, bit)) words.push(name);
  const guidBits: number[] = [];
  for (let bit = 48; bit < 64; bit++) if (hasAttrBit(attrs, bit)) guidBits.push(bit);
  if (guidBits.length > 0) words.push(`GUID:${guidBits.join(',')}`);
  return words.join(' ');
}

/** The attribute value as 16 hex digits with a 0x prefix (for JSON). */
export function attrsHex(attrs: bigint): string {
  return '0x' + attrs.toString(16).padStart(16, '0');
}

/**
 * Parse sfdisk's attribute syntax (`"LegacyBIOSBootable GUID:48,56"`), a list of bit numbers
 * (`"48 56"`), or a number (`"0x0101000000000000"`). Throws a plain Error naming the bad word;
 * callers wrap it in an error that names their input.
 */
export function parseAttrs(text: string | number | bigint | readonly (string | number)[]): bigint {
  if (typeof text === 'bigint') return checkRange(text);
  if (typeof text === 'number') {
    if (!Number.isSafeInteger(text) || text < 0)
      throw new Error(`attribute value ${text} is not a non-negative whole number`);
    return BigInt(text);
  }
  const words = Array.isArray(text) ? text.map(String) : String(text).split(/[\s]+/).filter(Boolean);
  if (words.length === 1 && /^(0x[0-9a-f]+)$/i.test(words[0]!)) return checkRange(BigInt(words[0]!));
  let attrs = 0n;
  for (const word of words) {
    const named = NAMED.find(([n]) => n.toLowerCase() === word.toLowerCase());
    if (named) {
      attrs = setAttrBit(attrs, named[1]);
      continue;
    }
    const m = /^(?:GUID:)?([0-9]+(?:,[0-9]+)*)$/i.exec(word);
    if (!m)
      throw new Error(
        `unknown attribute ${JSON.stringify(word)} (expected RequiredPartition, NoBlockIOProtocol, LegacyBIOSBootable, GUID:n,m or bit numbers 0-63)`,
      );
    for (const b of m[1]!.split(',')) {
      const bit = Number(b);
      if (bit > 63) throw new Error(`attribute bit ${bit} is out of range 0-63`);
      attrs = setAttrBit(attrs, bit);
    }
  }
  return attrs;
}

function checkRange(v: bigint): bigint {
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new Error(`attribute value ${v} does not fit in 64 bits`);
  return v;
}
