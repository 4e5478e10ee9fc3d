import { describe, expect, it } from 'vitest';
import { formatDpkgList, parseDpkgStatus } from './dpkg-list.js';
import { parseImageKey, parseImageVersion, resolveRoot } from './layout.js';
import { frameHeader } from './lz4-frame.js';
import { TarScanner } from './tar-scan.js';
import { xxh32 } from './xxh32.js';

describe('xxh32', () => {
  it('matches the reference vectors', () => {
    expect(xxh32(Buffer.from(''))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxh32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxh32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });
  it('gives the LZ4 frame header checksum lz4 writes for FLG 0x60 BD 0x70', () => {
    expect([...frameHeader()]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]);
  });
});

describe('image store layout', () => {
  it('splits versions and roots as metal-images does', () => {
    expect(parseImageVersion('22.04.20261207')).toEqual({ majorMinor: '22.04', patch: '20261207' });
    expect(() => parseImageVersion('12.0')).toThrow(/MAJOR\.MINOR\.YYYYMMDD/);
    expect(() => parseImageVersion('12.0.20261332')).toThrow(/MAJOR\.MINOR\.YYYYMMDD/);
    const v = parseImageVersion('12.0.20261207');
    expect(resolveRoot('release', v)).toBe('20261207');
    expect(resolveRoot('pull_requests/42-fix-dns', v)).toBe('pull_requests/42-fix-dns');
    expect(() => resolveRoot('../etc', v)).toThrow(/--root/);
    expect(parseImageKey('pull_requests/42-x/debian/12.0/img.tar.lz4')).toEqual({
      root: 'pull_requests/42-x',
      os: 'debian',
      majorMinor: '12.0',
    });
  });
});

describe('dpkg -l from the status file', () => {
  const STATUS = `Package: zlib1g
Status: install ok installed
Architecture: amd64
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime
 zlib is a library implementing the deflate compression method

Package: adduser
Status: install ok installed
Architecture: all
Version: 3.134
Description: add and remove users and groups

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
Description: removed, config kept
`;
  it('lists packages sorted, with dpkg -l state letters', () => {
    const pkgs = parseDpkgStatus(STATUS);
    expect(pkgs.map((p) => `${p.state} ${p.name} ${p.version}`)).toEqual([
      'ii adduser 3.134',
      'rc gone 1.0',
      'ii zlib1g 1:1.2.13.dfsg-1',
    ]);
    const text = formatDpkgList(pkgs);
    expect(text).toMatch(/^\|\|\/ Name +Version +Architecture +Description$/m);
    expect(text).toMatch(/^ii {2}zlib1g +1:1\.2\.13\.dfsg-1 +amd64 +compression library - runtime$/m);
  });
});

function header(
  name: string,
  size: number,
  type = '0',
  extra: Partial<Record<'prefix', string>> = {},
): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  if (extra.prefix) h.write(extra.prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}
const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

describe('TarScanner', () => {
  const status = Buffer.from('Package: a\nStatus: install ok installed\nVersion: 1\n');
  const longName = `${'x'.repeat(120)}/file`;
  const tar = Buffer.concat([
    header('./etc/', 0, '5'),
    header('././@LongLink', longName.length + 1, 'L'),
    pad(Buffer.from(`${longName}\0`)),
    header('truncated-name', 3),
    pad(Buffer.from('abc')),
    header('status', status.length, '0', { prefix: './var/lib/dpkg' }),
    pad(status),
    Buffer.alloc(1024),
  ]);

  it('finds a wanted member whatever the chunking', () => {
    for (const size of [1, 7, 511, 512, 513, 4096, tar.length]) {
      const s = new TarScanner(new Set(['var/lib/dpkg/status', longName]), 'rootfs.tar');
      for (let i = 0; i < tar.length; i += size) s.push(tar.subarray(i, i + size));
      s.end();
      expect(s.entries).toBe(3);
      expect(s.found.get('var/lib/dpkg/status')?.toString()).toBe(status.toString());
      expect(s.found.get(longName)?.toString()).toBe('abc');
    }
  });

  it('refuses what is not a tar, and a truncated one', () => {
    const s = new TarScanner(new Set(), 'x.img');
    expect(() => s.push(Buffer.alloc(512, 1))).toThrow(/x\.img is not a tar archive \(no ustar header\)/);
    const t = new TarScanner(new Set(), 'x.tar');
    t.push(tar.subarray(0, 1000));
    expect(() => t.end()).toThrow(/truncated/);
  });
});
