import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '@mantle/core/fs';
import { HARNESS_MARKER, prepareOutputDir, runStamp } from './output-dir.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'kola-outdir-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('output directory', () => {
  it('makes _kola_temp/<platform>-<stamp>-<pid> with a marker and an atomically replaced -latest link', async () => {
    const now = new Date(2025, 0, 2, 3, 4);
    expect(runStamp(now)).toBe('2025-01-02-0304');
    const a = await prepareOutputDir({ cwd, platform: 'qemu', now, pid: 111 });
    expect(a.dir).toBe(join(cwd, '_kola_temp', 'qemu-2025-01-02-0304-111'));
    expect(await readFile(join(a.dir, HARNESS_MARKER), 'utf8')).toContain('kola');
    expect(await readlink(join(cwd, '_kola_temp', 'qemu-latest'))).toBe('qemu-2025-01-02-0304-111');
    const b = await prepareOutputDir({ cwd, platform: 'qemu', now, pid: 222 });
    expect(await readlink(b.latest ?? '')).toBe('qemu-2025-01-02-0304-222');
    // no temp link left behind
    expect((await readdir(join(cwd, '_kola_temp'))).sort()).toEqual([
      'qemu-2025-01-02-0304-111',
      'qemu-2025-01-02-0304-222',
      'qemu-latest',
    ]);
  });

  it('reuses an empty dir, wipes kola-owned ones, refuses anything else', async () => {
    const empty = join(cwd, 'empty');
    await mkdir(empty);
    expect((await prepareOutputDir({ cwd, platform: 'qemu', outputDir: 'empty' })).dir).toBe(empty);

    // it now holds the marker: a second run wipes it
    await writeFile(join(empty, 'old-report.json'), '{}');
    await prepareOutputDir({ cwd, platform: 'qemu', outputDir: 'empty' });
    expect((await readdir(empty)).sort()).toEqual([HARNESS_MARKER]);

    const named = join(cwd, '_mine_temp');
    await mkdir(named);
    await writeFile(join(named, 'x'), 'x');
    await prepareOutputDir({ cwd, platform: 'qemu', outputDir: named });
    expect(await readdir(named)).toEqual([HARNESS_MARKER]);

    const precious = join(cwd, 'precious');
    await mkdir(precious);
    await writeFile(join(precious, 'thesis.tex'), 'do not delete');
    await expect(prepareOutputDir({ cwd, platform: 'qemu', outputDir: precious })).rejects.toMatchObject({
      code: 'OUTPUT_DIR_NOT_KOLA',
      exitCode: 2,
    });
    expect(await readFile(join(precious, 'thesis.tex'), 'utf8')).toBe('do not delete');

    const file = join(cwd, 'a-file');
    await writeFile(file, 'x');
    await expect(prepareOutputDir({ cwd, platform: 'qemu', outputDir: file })).rejects.toMatchObject({
      code: 'OUTPUT_DIR_NOT_A_DIRECTORY',
    });
  });

  it('writes files atomically, leaving no temp files', async () => {
    const dir = join(cwd, 'atomic');
    await mkdir(dir);
    await writeFileAtomic(join(dir, 'r.json'), '{"a":1}');
    await writeFileAtomic(join(dir, 'r.json'), '{"a":2}');
    expect(await readFile(join(dir, 'r.json'), 'utf8')).toBe('{"a":2}');
    expect(await readdir(dir)).toEqual(['r.json']);
    expect((await lstat(join(dir, 'r.json'))).mode & 0o777).toBe(0o644);
  });
});
