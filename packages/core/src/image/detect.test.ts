import { describe, expect, it } from 'vitest';
import { detectCompression, detectFormat } from './detect.js';
import { virtualSizeFromHeaders } from './virtual-size.js';

describe('detect', () => {
  it('recognises compressors by magic', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(detectCompression(Buffer.from('BZh91AY'))).toBe('bzip2');
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 4]))).toBe('xz');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe('zstd');
    expect(detectCompression(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0]))).toBe('lz4');
    expect(detectCompression(Buffer.from('BZh0'))).toBe('none');
    expect(detectCompression(Buffer.alloc(8))).toBe('none');
  });

  it('recognises qcow2, vmdk, vhd and raw disks, and reads their virtual size', () => {
    const q = Buffer.alloc(512);
    q.writeUInt32BE(0x514649fb, 0);
    q.writeUInt32BE(3, 4);
    q.writeBigUInt64BE(10n * 1024n ** 3n, 24);
    const qg = detectFormat(q);
    expect(qg.format).toBe('qcow2');
    expect(virtualSizeFromHeaders(qg, q, Buffer.alloc(0), 1000)).toEqual({
      bytes: 10 * 1024 ** 3,
      source: 'qcow2 header',
    });

    const v = Buffer.alloc(512);
    v.write('KDMV', 0, 'latin1');
    v.writeBigUInt64LE(409600n, 12);
    const vg = detectFormat(v);
    expect(vg).toMatchObject({ format: 'vmdk', subformat: 'sparse' });
    expect(virtualSizeFromHeaders(vg, v, Buffer.alloc(0), 0)?.bytes).toBe(409600 * 512);

    const footer = Buffer.alloc(512);
    footer.write('conectix', 0, 'latin1');
    footer.writeBigUInt64BE(209715200n, 48);
    footer.writeUInt32BE(2, 60);
    const hg = detectFormat(Buffer.alloc(4096), footer);
    expect(hg).toMatchObject({ format: 'vhd', subformat: 'fixed' });
    expect(virtualSizeFromHeaders(hg, Buffer.alloc(4096), footer, 0)?.bytes).toBe(209715200);

    const gpt = Buffer.alloc(4096);
    gpt.write('EFI PART', 512, 'latin1');
    expect(detectFormat(gpt)).toMatchObject({ format: 'raw', subformat: 'gpt' });
    const mbr = Buffer.alloc(512);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    expect(detectFormat(mbr)).toMatchObject({ format: 'raw', subformat: 'mbr' });
    expect(detectFormat(Buffer.from('hsqs' + '\0'.repeat(100)))).toMatchObject({
      format: 'raw',
      subformat: 'squashfs',
    });
    expect(detectFormat(Buffer.from('hello world, not an image'))).toMatchObject({ format: 'unknown' });
  });
});
