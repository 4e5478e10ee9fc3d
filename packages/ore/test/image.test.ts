// Integration: the built `ore` bin (node packages/ore/dist/cli.js) on real image files — exit
// codes, --json output, and agreement with sfdisk/sgdisk/qemu-img.
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { mkdtemp, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@mantle/core/exec';
import { jsonError, requireOreBuild, runOre, type OreRun } from './helpers/ore-bin.js';

let dir: string;

async function ore(args: string[]): Promise<OreRun> {
  return runOre(dir, args);
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

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-image-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ore image create-layout', () => {
  it('creates the Flatcar layout; stdout is exactly what sfdisk -d prints; sgdisk -v is happy', async () => {
    const res = await ore(['image', 'create-layout', '--layout', 'flatcar', 'flatcar.img']);
    expect(res.exitCode).toBe(0);
    const sfdisk = await run('sfdisk', ['-d', 'flatcar.img'], { cwd: dir });
    expect(res.stdout).toBe(sfdisk.stdout);
    expect((await run('sgdisk', ['-v', join(dir, 'flatcar.img')])).stdout).toMatch(/No problems found/);
    expect((await stat(join(dir, 'flatcar.img'))).size).toBe(8455716864);
  });

  it('--json returns the table; --size sets the disk size', async () => {
    const res = await ore([
      'image',
      'create-layout',
      '--layout',
      'flatcar',
      '--size',
      '10G',
      '--json',
      'big.img',
    ]);
    expect(res.exitCode).toBe(0);
    const data = JSON.parse(res.stdout) as {
      size: number;
      layout: string;
      gpt: { partitions: { name: string; attrs: string; uuid: string }[]; lastlba: number };
    };
    expect(data.size).toBe(10 * 1024 ** 3);
    expect(data.layout).toBe('base');
    expect(data.gpt.partitions.map((p) => p.name)).toEqual([
      'EFI-SYSTEM',
      'BIOS-BOOT',
      'USR-A',
      'USR-B',
      'OEM',
      'OEM-CONFIG',
      'ROOT',
    ]);
    expect(data.gpt.partitions[2]).toMatchObject({
      attrs: 'GUID:48,56',
      uuid: '7130C94A-213A-4E5A-8E26-6CCE9662F132',
    });
    const theirs = JSON.parse((await run('sfdisk', ['--json', join(dir, 'big.img')])).stdout) as {
      partitiontable: { lastlba: number };
    };
    expect(data.gpt.lastlba).toBe(theirs.partitiontable.lastlba);
  });

  it('a layout larger than --size: exit 2, LAYOUT_TOO_LARGE, nothing written', async () => {
    const before = await readdir(dir);
    const res = await ore(['image', 'create-layout', '--layout', 'vm', '--size', '8G', 'vm.img']);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(
      /layout vm needs \d+ bytes, more than the requested size .*partition 9 \(ROOT\) field blocks/,
    );
    expect(await readdir(dir)).toEqual(before);
  });

  const layoutFile = async (name: string, parts: Record<string, unknown>): Promise<string> => {
    const file = join(dir, name);
    await writeFile(
      file,
      JSON.stringify({
        metadata: { part_alignment: 2048, disk_alignment: 2048, block_size: 512, fs_block_size: 4096 },
        layouts: { base: parts },
      }),
    );
    return name;
  };

  for (const [name, parts, code, pattern] of [
    [
      'overlap.json',
      {
        '1': { type: 'data', label: 'A', blocks: 4096 },
        '2': { type: 'data', label: 'B', blocks: 16, first_block: 4000 },
      },
      'LAYOUT_OVERLAP',
      /partition 2: sectors 4000-4015 overlap partition 1/,
    ],
    [
      'alias.json',
      { '1': { type: 'flatcar-usrr', label: 'A', blocks: 8 } },
      'LAYOUT_UNKNOWN_TYPE',
      /partition 1: unknown type alias "flatcar-usrr"/,
    ],
    [
      'blocks.json',
      { '4': { type: 'data', label: 'A', blocks: 'ten' } },
      'LAYOUT_INVALID',
      /partition 4: blocks "ten" is not a whole number/,
    ],
    [
      'large.json',
      { '1': { type: 'data', label: 'A', blocks: 100000 } },
      'LAYOUT_TOO_LARGE',
      /partition 1 \(A\) field blocks/,
    ],
  ] as const) {
    it(`${code} from ${name}: exit 2, names partition and field, nothing written`, async () => {
      const file = await layoutFile(name, parts);
      const before = await readdir(dir);
      const args = [
        'image',
        'create-layout',
        '--layout',
        file,
        'out.img',
        ...(code === 'LAYOUT_TOO_LARGE' ? ['--size', '16M'] : []),
      ];
      const json = await ore([...args, '--json']);
      expect(json.exitCode).toBe(2);
      expect(json.stdout).toBe('');
      expect(jsonError(json.stderr).code).toBe(code);
      expect(jsonError(json.stderr).message).toMatch(pattern);
      expect(await readdir(dir)).toEqual(before);
    });
  }

  it('a missing layout file and an existing output are exit 2', async () => {
    expect((await ore(['image', 'create-layout', '--layout', 'nope.json', 'x.img'])).exitCode).toBe(2);
    const again = await ore(['image', 'create-layout', '--json', 'flatcar.img']);
    expect(again.exitCode).toBe(2);
    expect(jsonError(again.stderr).code).toBe('IMAGE_EXISTS');
  });
});

describe('ore image info', () => {
  it('text: sfdisk-style table and the USR A/B state', async () => {
    const res = await ore(['image', 'info', 'flatcar.img']);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/format: +raw \(gpt\)/);
    expect(res.stdout).toMatch(/virtual size: +7\.9 GiB \(8455716864 bytes/);
    expect(res.stdout).toContain((await run('sfdisk', ['-d', 'flatcar.img'], { cwd: dir })).stdout.trimEnd());
    expect(res.stdout).toMatch(/USR-A +partition 3 +priority 1 +tries 0 +successful yes +<- active, next/);
    expect(res.stdout).toMatch(/next boot: USR-A/);
  });

  it('--json: format, sizes, partitions and USR state', async () => {
    const res = await ore(['image', 'info', '--json', 'flatcar.img']);
    expect(res.exitCode).toBe(0);
    const info = JSON.parse(res.stdout) as {
      format: string;
      compression: string;
      virtualSize: { bytes: number };
      gpt: { partitions: unknown[]; recovered: boolean };
      usr: {
        next: string;
        active: string;
        slots: { label: string; priority: number; successful: boolean }[];
      };
    };
    expect(info).toMatchObject({ format: 'raw', compression: 'none', virtualSize: { bytes: 8455716864 } });
    expect(info.gpt.partitions).toHaveLength(7);
    expect(info.gpt.recovered).toBe(false);
    expect(info.usr).toMatchObject({ next: 'USR-A', active: 'USR-A' });
    expect(info.usr.slots[0]).toMatchObject({ label: 'USR-A', priority: 1, successful: true });
  });

  it('qcow2 and zstd images are read too', async () => {
    const small = await layoutFileImage();
    await run('qemu-img', ['convert', '-O', 'qcow2', small, join(dir, 'small.qcow2')]);
    const q = JSON.parse((await ore(['image', 'info', '--json', 'small.qcow2'])).stdout) as {
      format: string;
      virtualSize: { bytes: number };
      gpt: { partitions: unknown[] };
    };
    expect(q.format).toBe('qcow2');
    expect(q.virtualSize.bytes).toBe(16 * 1024 * 1024);
    expect(q.gpt.partitions).toHaveLength(1);
    await run('zstd', ['-q', '-1', small, '-o', join(dir, 'small.img.zst')]);
    const z = JSON.parse((await ore(['image', 'info', '--json', 'small.img.zst'])).stdout) as {
      compression: string;
      format: string;
    };
    expect(z).toMatchObject({ compression: 'zstd', format: 'raw' });
  });

  async function layoutFileImage(): Promise<string> {
    const out = join(dir, 'small.img');
    await writeFile(
      join(dir, 'small.json'),
      JSON.stringify({ partitions: { '1': { type: 'data', label: 'DATA', blocks: 8192 } } }),
    );
    const res = await ore([
      'image',
      'create-layout',
      '--layout',
      'small.json',
      '--size',
      '16M',
      '--force',
      'small.img',
    ]);
    expect(res.exitCode).toBe(0);
    return out;
  }

  it('a corrupt primary GPT is recovered from the backup and reported; both corrupt is exit 2', async () => {
    await run('cp', ['--sparse=always', 'flatcar.img', 'damaged.img'], { cwd: dir });
    const img = join(dir, 'damaged.img');
    await flipByte(img, 512 + 64);
    const res = await ore(['image', 'info', 'damaged.img']);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/primary GPT corrupt: recovered from the backup/);
    expect(res.stdout).toMatch(/primary GPT of damaged\.img is corrupt \(GPT_BAD_CRC/);
    await flipByte(img, (await stat(img)).size - 512 + 64);
    const both = await ore(['image', 'info', '--json', 'damaged.img']);
    expect(both.exitCode).toBe(2);
    expect(jsonError(both.stderr).code).toBe('GPT_BAD_CRC');
  });

  it('truncated image, wrong magic, missing file: exit 2 with clear codes', async () => {
    await run('cp', ['--sparse=always', 'flatcar.img', 'cut.img'], { cwd: dir });
    await truncate(join(dir, 'cut.img'), 1024 ** 3);
    const cut = await ore(['image', 'info', '--json', 'cut.img']);
    expect(cut.exitCode).toBe(2);
    expect(jsonError(cut.stderr)).toMatchObject({ code: 'GPT_TRUNCATED' });
    expect(jsonError(cut.stderr).message).toMatch(/cut\.img is truncated/);

    await writeFile(join(dir, 'notes.txt'), 'hello\n'.repeat(200));
    const magic = await ore(['image', 'info', 'notes.txt']);
    expect(magic.exitCode).toBe(2);
    expect(magic.stderr).toMatch(/notes\.txt is not a disk image/);

    const missing = await ore(['image', 'info', '--json', 'missing.img']);
    expect(missing.exitCode).toBe(2);
    expect(jsonError(missing.stderr).code).toBe('FILE_NOT_FOUND');
  });

  it('usage errors are exit 2', async () => {
    expect((await ore(['image'])).exitCode).toBe(2);
    expect((await ore(['image', 'info'])).exitCode).toBe(2);
  });
});
