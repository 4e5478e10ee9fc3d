import { describe, expect, it } from 'vitest';
import { MantleError } from '../errors/mantle-error.js';
import { formatSums, parseSums } from './sums.js';

const H = 'ab'.repeat(32);
const H512 = 'cd'.repeat(64);

describe('SUMS lines', () => {
  it('parses text, binary, escaped and BSD tag lines', () => {
    const text = `${H}  a.raw\n${H512} *b.raw\r\n\\${H}  odd\\nname\\\\x\nSHA256 (c d.raw) = ${H.toUpperCase()}\n\n`;
    expect(parseSums(text)).toEqual([
      { hash: H, file: 'a.raw', binary: false, algorithm: 'sha256' },
      { hash: H512, file: 'b.raw', binary: true, algorithm: 'sha512' },
      { hash: H, file: 'odd\nname\\x', binary: false, algorithm: 'sha256' },
      { hash: H, file: 'c d.raw', binary: true, algorithm: 'sha256' },
    ]);
  });

  it('formats what it parses (round trip, escaping names with newlines or backslashes)', () => {
    const entries = [
      { hash: H, file: 'a.raw', binary: false },
      { hash: H, file: 'b.raw', binary: true },
      { hash: H, file: 'odd\nname\\x', binary: false },
    ];
    const text = formatSums(entries);
    expect(text).toBe(`${H}  a.raw\n${H} *b.raw\n\\${H}  odd\\nname\\\\x\n`);
    expect(parseSums(text).map(({ hash, file, binary }) => ({ hash, file, binary }))).toEqual(entries);
  });

  it('rejects lines that are not a digest and a name, by line number', () => {
    expect(() => parseSums(`${H}  ok\n${H.slice(2)}  short\n`, { source: 'SUMS.txt' })).toThrow(MantleError);
    expect(() => parseSums(`${H}  ok\n${H.slice(2)}  short\n`, { source: 'SUMS.txt' })).toThrow(
      'SUMS.txt: line 2 is not',
    );
    expect(() => parseSums(`SHA256 (x) = ${H512}\n`)).toThrow('line 1');
  });
});
