// Integration: our GPT reader/writer against the real sfdisk and sgdisk on sparse image files.
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InputError,
  applyLayout,
  builtinLayout,
  createLayoutImage,
  formatAttrs,
  formatSfdiskDump,
  parseLayoutConfig,
  readGpt,
  readUsrState,
  run,
  setUsrAttrs,
  writeGpt,
  PartitionType,
  type GptTable,
} from '@mantle/core';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-gpt-it-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface SfdiskJson {
  partitiontable: {
    label: string;
    id: string;
    firstlba: number;
    lastlba: number;
    sectorsize: number;
    partitions: {
      node: string;
      start: number;
      size: number;
      type: string;
      uuid: string;
      name?: string;
      attrs?: string;
    }[];
  };
}

async function sfdiskJson(file: string, sectorSize?: number): Promise<SfdiskJson['partitiontable']> {
  const { stdout } = await run('sfdisk', [
    ...(sectorSize ? ['--sector-size', String(sectorSize)] : []),
    '--json',
    file,
  ]);
  return (JSON.parse(stdout) as SfdiskJson).partitiontable;
}

// Compare every field sfdisk reports with what we read.
function expectSameAsSfdisk(ours: GptTable, theirs: SfdiskJson['partitiontable']): void {
  expect(ours.diskGuid).toBe(theirs.id);
  expect(ours.firstUsableLba).toBe(theirs.firstlba);
  expect(ours.lastUsableLba).toBe(theirs.lastlba);
  expect(ours.sectorSize).toBe(theirs.sectorsize);
  expect(
    ours.partitions.map((p) => ({
      start: p.startLba,
      size: p.sizeLba,
      type: p.type,
      uuid: p.uuid,
      name: p.name,
      attrs: formatAttrs(p.attributes),
    })),
  ).toEqual(
    theirs.partitions.map((p) => ({
      start: p.start,
      size: p.size,
      type: p.type,
      uuid: p.uuid,
      name: p.name ?? '',
      attrs: p.attrs ?? '',
    })),
  );
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

async function expectInputError(p: Promise<unknown>, code: string): Promise<InputError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).code).toBe(code);
  return err as InputError;
}

describe('GPT written by mantle, checked by sfdisk and sgdisk', () => {
  let img: string;
  beforeAll(async () => {
    img = join(dir, 'flatcar.img');
    await createLayoutImage({ out: img, layout: builtinLayout('flatcar') });
  });

  it('creates a sparse image of the Flatcar size', async () => {
    const st = await stat(img);
    expect(st.size).toBe(64 * 258048 * 512);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
  });

  it('passes sgdisk -v', async () => {
    const { stdout } = await run('sgdisk', ['-v', img]);
    expect(stdout).toMatch(/No problems found/);
  });

  it('sfdisk -d prints exactly what we print, and sfdisk --json what we wrote', async () => {
    const table = await readGpt(img);
    const { stdout } = await run('sfdisk', ['-d', img]);
    expect(formatSfdiskDump(table)).toBe(stdout);
    expectSameAsSfdisk(table, await sfdiskJson(img));
    expect(stdout).toMatch(/name="USR-A", attrs="GUID:48,56"/);
    expect(stdout).toMatch(/uuid=7130C94A-213A-4E5A-8E26-6CCE9662F132, name="USR-A"/);
    expect(stdout).toMatch(/uuid=E03DD35C-7C2D-4A47-B3FE-27F15780A57C, name="USR-B"/);
    expect(stdout).toMatch(/name="EFI-SYSTEM", attrs="LegacyBIOSBootable"/);
    expect(stdout.match(/^\S+ : start=/gm)).toHaveLength(7);
  });

  it('sgdisk reads the same partitions (types, names, attribute bits)', async () => {
    const { stdout } = await run('sgdisk', ['-i', '3', img]);
    expect(stdout).toMatch(/Partition GUID code: 5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6/);
    expect(stdout).toMatch(/Partition unique GUID: 7130C94A-213A-4E5A-8E26-6CCE9662F132/);
    expect(stdout).toMatch(/Attribute flags: 0101000000000000/);
    expect(stdout).toMatch(/Partition name: 'USR-A'/);
  });

  it('sets USR-B priority/tries and the tools agree; nextUsr follows', async () => {
    const copy = join(dir, 'usr.img');
    await createLayoutImage({ out: copy, layout: builtinLayout('flatcar') });
    let state = await readUsrState(copy);
    expect(state.next).toBe('USR-A');
    expect(state.active).toBe('USR-A');
    state = await setUsrAttrs(copy, 'USR-B', { priority: 2, tries: 1, successful: false });
    expect(state.next).toBe('USR-B');
    expect(state.active).toBe('USR-A');
    const { stdout } = await run('sfdisk', ['-d', copy]);
    expect(stdout).toMatch(/name="USR-B", attrs="GUID:49,52"/);
    expect((await run('sgdisk', ['-v', copy])).stdout).toMatch(/No problems found/);
    // a failed boot uses up the try: back to A
    state = await setUsrAttrs(copy, 'USR-B', { tries: 0 });
    expect(state.next).toBe('USR-A');
    await expect(setUsrAttrs(copy, 'USR-B', { priority: 99 })).rejects.toMatchObject({
      code: 'USR_BAD_ATTR',
    });
  });
});

describe('GPT written by sfdisk and sgdisk, read by mantle', () => {
  it('parses an sfdisk-made table identically (names, uuids, attrs, sizes)', async () => {
    const img = join(dir, 'sfdisk.img');
    await writeFile(img, '');
    await truncate(img, 64 * 1024 * 1024);
    const script = [
      'label: gpt',
      'label-id: 0F5A4E61-2A9B-4C6E-9B9A-5D2C3E4F5A6B',
      `start=2048, size=8192, type=${PartitionType.EFI_SYSTEM}, uuid=11111111-1111-4111-8111-111111111111, name="EFI-SYSTEM", attrs="LegacyBIOSBootable"`,
      `start=10240, size=4096, type=${PartitionType.FLATCAR_USR}, name="USR-A", attrs="GUID:48,56"`,
      `size=20000, type=${PartitionType.LINUX_DATA}, name="name with spaces"`,
      '',
    ].join('\n');
    await run('sfdisk', ['-q', img], { input: script });
    const table = await readGpt(img);
    expectSameAsSfdisk(table, await sfdiskJson(img));
    expect(table.partitions[0]!.attributes).toBe(4n);
    expect(table.partitions[1]!.attributes).toBe((1n << 48n) | (1n << 56n));
    expect(formatSfdiskDump(table)).toBe((await run('sfdisk', ['-d', img])).stdout);
  });

  it('parses an sgdisk-made table (64 entries, attribute bit 63)', async () => {
    const img = join(dir, 'sgdisk.img');
    await writeFile(img, '');
    await truncate(img, 32 * 1024 * 1024);
    await run('sgdisk', [
      '-S',
      '64',
      '-n',
      '1:2048:+4M',
      '-t',
      '1:8300',
      '-c',
      '1:one',
      '-A',
      '1:set:63',
      '-A',
      '1:set:0',
      '-n',
      '2:0:+2M',
      '-c',
      '2:two',
      img,
    ]);
    const table = await readGpt(img);
    expect(table.entryCount).toBe(64);
    expect(table.partitions[0]!.attributes).toBe((1n << 63n) | 1n);
    expectSameAsSfdisk(table, await sfdiskJson(img));
    expect(formatSfdiskDump(table)).toBe((await run('sfdisk', ['-d', img])).stdout);
  });

  it('reads a 4096-byte-sector table written by fdisk -b 4096 (sfdisk 2.38 has no --sector-size)', async () => {
    const img = join(dir, '4k.img');
    await writeFile(img, '');
    await truncate(img, 64 * 1024 * 1024);
    await run('fdisk', ['-b', '4096', img], {
      input: 'g\nn\n1\n256\n+4M\nx\nn\nfour-k\nr\nw\n',
      reject: false,
    });
    const { stdout } = await run('fdisk', [
      '-b',
      '4096',
      '-l',
      '-o',
      'Device,Start,Sectors,Type-UUID,UUID,Name',
      img,
    ]);
    const row = stdout.trim().split('\n').pop()!.trim().split(/\s+/);
    const table = await readGpt(img);
    expect(table.sectorSize).toBe(4096);
    const p = table.partitions[0]!;
    expect([p.startLba, p.sizeLba, p.type, p.uuid, p.name]).toEqual([
      Number(row[1]),
      Number(row[2]),
      row[3],
      row[4],
      row[5],
    ]);
    expect(p.name).toBe('four-k');
  });

  it('our writer keeps working after sfdisk edits (and vice versa)', async () => {
    const img = join(dir, 'mixed.img');
    await writeFile(img, '');
    await truncate(img, 16 * 1024 * 1024);
    await writeGpt(img, {
      partitions: [
        { number: 2, type: PartitionType.LINUX_DATA, name: 'mine', startLba: 2048, sizeLba: 4096 },
      ],
    });
    await run('sfdisk', ['-q', '--part-label', img, '2', 'renamed']);
    const table = await readGpt(img);
    expect(table.partitions[0]!.name).toBe('renamed');
    expect((await run('sgdisk', ['-v', img])).stdout).toMatch(/No problems found/);
  });
});

describe('damaged tables', () => {
  async function fresh(name: string): Promise<string> {
    const img = join(dir, name);
    await createLayoutImage({ out: img, layout: builtinLayout('flatcar'), overwrite: true });
    return img;
  }
  async function flipByte(file: string, position: number): Promise<void> {
    const fh = await open(file, 'r+');
    try {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, position);
      b[0] = b[0]! ^ 0xff;
      await fh.write(b, 0, 1, position);
    } finally {
      await fh.close();
    }
  }

  it('recovers a corrupt primary header from the backup, and sfdisk agrees on the partitions', async () => {
    const img = await fresh('primary-bad.img');
    await flipByte(img, 512 + 60); // inside the disk GUID: header CRC breaks
    const table = await readGpt(img);
    expect(table.source).toBe('backup');
    expect(table.primary.problem?.code).toBe('GPT_BAD_CRC');
    expect(table.warnings[0]).toMatch(/recovered from the backup/);
    expectSameAsSfdisk(table, await sfdiskJson(img));
    // rewriting (here via setUsrAttrs) repairs both copies
    await setUsrAttrs(img, 'USR-A', { priority: 1 });
    expect((await run('sgdisk', ['-v', img])).stdout).toMatch(/No problems found/);
    expect((await readGpt(img)).source).toBe('primary');
  });

  it('fails with GPT_BAD_CRC when both copies are corrupt', async () => {
    const img = await fresh('both-bad.img');
    const size = (await stat(img)).size;
    await flipByte(img, 1024 + 10); // primary entry array
    await flipByte(img, size - 512 + 60); // backup header
    const err = await expectInputError(readGpt(img), 'GPT_BAD_CRC');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(img);
  });

  it('fails with GPT_TRUNCATED on a truncated image', async () => {
    const img = await fresh('cut.img');
    await truncate(img, 1024 * 1024 * 1024);
    const err = await expectInputError(readGpt(img), 'GPT_TRUNCATED');
    expect(err.message).toContain(img);
  });

  it('fails with GPT_BAD_SIGNATURE on a file without a GPT, INPUT_NOT_FOUND on a missing one', async () => {
    const img = join(dir, 'zeros.img');
    await writeFile(img, Buffer.alloc(1024 * 1024));
    await expectInputError(readGpt(img), 'GPT_BAD_SIGNATURE');
    await expectInputError(readGpt(join(dir, 'missing.img')), 'INPUT_NOT_FOUND');
  });
});

describe('layout validation writes nothing', () => {
  const bad = (parts: Record<string, unknown>): unknown => ({
    metadata: { part_alignment: 2048, disk_alignment: 2048, block_size: 512, fs_block_size: 4096 },
    layouts: { base: parts },
  });

  it('a layout larger than the requested size: LAYOUT_TOO_LARGE and no file', async () => {
    const out = join(dir, 'too-small.img');
    const before = await readdir(dir);
    await expectInputError(
      createLayoutImage({ out, layout: builtinLayout('flatcar'), size: 4 * 1024 ** 3 }),
      'LAYOUT_TOO_LARGE',
    );
    expect(await readdir(dir)).toEqual(before);
  });

  it('overlapping partitions, unknown alias, non-numeric blocks: errors before any file exists', async () => {
    const before = await readdir(dir);
    expect(() => parseLayoutConfig(bad({ '1': { type: 'data', label: 'A', blocks: 'lots' } }))).toThrow(
      /partition 1: blocks "lots"/,
    );
    expect(() => parseLayoutConfig(bad({ '1': { type: 'nonsense', label: 'A', blocks: 8 } }))).toThrow(
      /partition 1: unknown type alias "nonsense"/,
    );
    const overlapping = parseLayoutConfig(
      bad({
        '1': { type: 'data', label: 'A', blocks: 4096 },
        '2': { type: 'data', label: 'B', blocks: 8, first_block: 2050 },
      }),
    );
    await expectInputError(
      createLayoutImage({ out: join(dir, 'overlap.img'), layout: overlapping }),
      'LAYOUT_OVERLAP',
    );
    expect(await readdir(dir)).toEqual(before);
  });

  it('applyLayout on a too-small existing image leaves it byte-for-byte unchanged', async () => {
    const img = join(dir, 'existing.img');
    await writeFile(img, Buffer.alloc(8 * 1024 * 1024, 7));
    const hash = await sha256(img);
    await expectInputError(applyLayout({ image: img, layout: builtinLayout('flatcar') }), 'LAYOUT_TOO_LARGE');
    expect(await sha256(img)).toBe(hash);
  });

  it('refuses to overwrite an existing output unless asked', async () => {
    const out = join(dir, 'exists.img');
    await writeFile(out, 'keep me');
    await expectInputError(createLayoutImage({ out, layout: builtinLayout('flatcar') }), 'OUTPUT_EXISTS');
    expect(await readFile(out, 'utf8')).toBe('keep me');
  });

  it('applyLayout grows an existing image and writes a valid table', async () => {
    const img = join(dir, 'grow.img');
    await writeFile(img, '');
    const layout = parseLayoutConfig(
      bad({
        '1': { type: 'efi', label: 'EFI', blocks: 4096 },
        '2': { type: 'flatcar-resize', label: 'ROOT', blocks: 8192 },
      }),
    );
    await applyLayout({ image: img, layout, size: 16 * 1024 * 1024 });
    expect((await stat(img)).size).toBe(16 * 1024 * 1024);
    expect((await run('sgdisk', ['-v', img])).stdout).toMatch(/No problems found/);
    expectSameAsSfdisk(await readGpt(img), await sfdiskJson(img));
  });
});
