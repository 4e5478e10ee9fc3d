import { describe, expect, it } from 'vitest';
import { defaultOutputName, parseOutputFormat } from './formats.js';

describe('formats', () => {
  it('names outputs after the input without image/compression endings', () => {
    expect(defaultOutputName('/x/flatcar_production_image.bin.bz2', 'vhd')).toBe(
      'flatcar_production_image.vhd',
    );
    expect(defaultOutputName('disk.qcow2', 'gce')).toBe('disk.tar.gz');
    expect(defaultOutputName('disk.raw.zst', 'raw')).toBe('disk.raw');
  });

  it('unknown formats are usage errors listing the known ones', () => {
    expect(() => parseOutputFormat('vdi')).toThrow(/unknown output format "vdi"/);
    try {
      parseOutputFormat('vdi');
    } catch (e) {
      expect(e).toMatchObject({ code: 'CONVERT_UNKNOWN_FORMAT', exitCode: 2 });
    }
  });
});
