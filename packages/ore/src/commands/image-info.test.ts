import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageCreateLayout } from './image-create-layout.js';
import { formatImageInfo, imageInfo } from './image-info.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ore-image-info-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('image info / create-layout commands (in-process, pure TS paths only)', () => {
  it('returns JSON-safe data and prints the USR state', async () => {
    const created = await imageCreateLayout({ layout: 'flatcar', out: 'f.img', cwd: dir });
    expect(created.sfdisk).toMatch(/^label: gpt\n/);
    expect(created.sfdisk).toContain('f.img3 : start=     2105344, size=     4194304');
    const info = await imageInfo({ file: 'f.img', cwd: dir });
    expect(() => JSON.stringify(info)).not.toThrow(); // no bigint left
    expect(info.usr).toMatchObject({ next: 'USR-A', active: 'USR-A' });
    expect(info.usr?.slots[0]?.attributes).toBe('0x0101000000000000');
    const text = formatImageInfo(info);
    expect(text).toMatch(/^file: +f\.img$/m);
    expect(text).toMatch(/USR-B +partition 4 +priority 0 +tries 0 +successful no$/m);
    expect(text).toMatch(/next boot: USR-A/);
    expect(text).not.toMatch(/warnings:/);
  });

  it('rejects a bad --size before touching anything', async () => {
    await expect(
      imageCreateLayout({ layout: 'flatcar', out: 'g.img', cwd: dir, size: 'huge' }),
    ).rejects.toMatchObject({ code: 'BAD_SIZE', exitCode: 2 });
  });
});
