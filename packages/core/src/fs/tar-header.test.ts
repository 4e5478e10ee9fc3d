import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TAR_BLOCK,
  hasUstarMagic,
  isZeroBlock,
  tarChecksumOk,
  tarHeaderName,
  tarNumber,
} from './tar-header.js';

/** The first header of an archive GNU tar makes of one file at `name` (in `--format`). */
function header(format: string, name: string, bytes: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'core-tar-header-'));
  try {
    const path = join(dir, 'f', name);
    execFileSync('mkdir', ['-p', join(path, '..')]);
    writeFileSync(path, Buffer.alloc(bytes, 1));
    return execFileSync('tar', [`--format=${format}`, '-C', join(dir, 'f'), '-cf', '-', name]).subarray(
      0,
      TAR_BLOCK,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tar headers as GNU tar writes them', () => {
  const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}/file.txt`; // 130 bytes: ustar splits it

  it('ustar: checksum, size, the prefix joined to the name', () => {
    const h = header('ustar', deep, 1234);
    expect(hasUstarMagic(h)).toBe(true);
    expect(tarChecksumOk(h)).toBe(true);
    expect(tarNumber(h, 124, 12)).toBe(1234);
    expect(tarHeaderName(h)).toBe(deep);
    h[0] = h[0]! ^ 1;
    expect(tarChecksumOk(h)).toBe(false);
  });

  it('oldgnu: the name field alone (no prefix), the magic still recognised', () => {
    const h = header('oldgnu', 'a.txt', 7);
    expect(hasUstarMagic(h)).toBe(true);
    expect(tarChecksumOk(h)).toBe(true);
    expect(tarHeaderName(h)).toBe('a.txt');
    expect(tarNumber(h, 124, 12)).toBe(7);
  });

  it('base-256 numbers (8 GiB and more) and zero blocks', () => {
    const h = Buffer.alloc(TAR_BLOCK);
    expect(isZeroBlock(h)).toBe(true);
    h[124] = 0x80;
    h.writeUIntBE(9 * 2 ** 30, 124 + 6, 6);
    expect(tarNumber(h, 124, 12)).toBe(9 * 2 ** 30);
    expect(isZeroBlock(h)).toBe(false);
    expect(hasUstarMagic(h)).toBe(false);
  });
});
