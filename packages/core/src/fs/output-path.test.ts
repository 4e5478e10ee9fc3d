import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MantleError } from '../errors/mantle-error.js';
import { checkInputPath } from './input-path.js';
import { checkOutputDir, checkOutputFile, ensureOutputDir } from './output-path.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-output-path-'));
  await mkdir(join(dir, 'd'));
  await writeFile(join(dir, 'f'), 'x');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function problem(
  p: Promise<unknown>,
): Promise<{ code: string; exit: number; message: string; hint?: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MantleError)
      return {
        code: err.code,
        exit: err.exitCode,
        message: err.message,
        ...(err.hint ? { hint: err.hint } : {}),
      };
    throw err;
  }
  throw new Error('expected a MantleError');
}

describe('checkOutputFile', () => {
  const opts = () => ({ cwd: dir, flag: '--out', overwriteFlag: '--force' });

  it('accepts a new file in a writable directory, leaving nothing behind', async () => {
    expect(await checkOutputFile('new.raw', opts())).toBe(join(dir, 'new.raw'));
    expect((await readdir(dir)).sort()).toEqual(['d', 'f']);
  });

  it('refuses a directory, an existing file without --force, a missing parent, a file as parent', async () => {
    expect(await problem(checkOutputFile('d', opts()))).toMatchObject({
      code: 'OUTPUT_IS_DIRECTORY',
      exit: 2,
      message: '--out d is a directory',
      hint: 'give the path of the file to create, e.g. d/NAME',
    });
    expect(await problem(checkOutputFile('f', opts()))).toMatchObject({
      code: 'OUTPUT_EXISTS',
      exit: 2,
      hint: 'pass --force to replace it, or choose another path',
    });
    expect(await checkOutputFile('f', { ...opts(), overwrite: true })).toBe(join(dir, 'f'));
    expect(await problem(checkOutputFile('nodir/x.raw', opts()))).toMatchObject({
      code: 'OUTPUT_PARENT_MISSING',
      exit: 2,
      message: `--out nodir/x.raw: directory ${join(dir, 'nodir')} does not exist`,
    });
    expect(await problem(checkOutputFile('f/x.raw', opts()))).toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      exit: 2,
    });
    expect(await problem(checkOutputFile('/dev/null', opts()))).toMatchObject({
      code: 'OUTPUT_NOT_A_FILE',
      exit: 2,
    });
  });

  it('refuses a place the file system will not create files in (/proc), at once', async () => {
    expect(await problem(checkOutputFile('/proc/x.raw', opts()))).toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      exit: 2,
      message: '--out /proc/x.raw: cannot write in /proc (the file system does not allow new files there)',
    });
  });
});

describe('checkOutputDir / ensureOutputDir', () => {
  it('accepts an existing or a new directory, and creates only the new one', async () => {
    expect(await checkOutputDir('d', { cwd: dir, flag: '--out' })).toEqual({
      path: join(dir, 'd'),
      exists: true,
    });
    expect(await checkOutputDir('d2', { cwd: dir, flag: '--out' })).toEqual({
      path: join(dir, 'd2'),
      exists: false,
    });
    expect(await ensureOutputDir('d2', { cwd: dir, flag: '--out' })).toBe(join(dir, 'd2'));
    expect((await readdir(dir)).sort()).toEqual(['d', 'd2', 'f']);
  });

  it('refuses a file, a missing parent and /proc (no endless mkdir)', async () => {
    expect(await problem(checkOutputDir('f', { cwd: dir, flag: '--out' }))).toMatchObject({
      code: 'OUTPUT_NOT_A_DIRECTORY',
      exit: 2,
      message: '--out f exists and is not a directory',
    });
    expect(await problem(ensureOutputDir('a/b/c', { cwd: dir, flag: '--out' }))).toMatchObject({
      code: 'OUTPUT_PARENT_MISSING',
      exit: 2,
    });
    expect(await problem(ensureOutputDir('/proc/x', { cwd: dir, flag: '--out' }))).toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      exit: 2,
    });
    expect(await problem(ensureOutputDir('/proc/x/y', { cwd: dir, flag: '--out' }))).toMatchObject({
      code: 'OUTPUT_PARENT_MISSING',
      exit: 2,
    });
  });
});

describe('checkInputPath', () => {
  it('is exit 2 naming the flag for a missing, wrong-kind input; relative paths from cwd', async () => {
    expect(await checkInputPath('f', { cwd: dir, flag: '--image' })).toBe(join(dir, 'f'));
    expect(await problem(checkInputPath('nope.img', { cwd: dir, flag: '--image' }))).toMatchObject({
      code: 'INPUT_NOT_FOUND',
      exit: 2,
      message: '--image nope.img: no such file or directory',
      hint: `check the path (relative paths are taken from the current directory, ${dir})`,
    });
    expect(await problem(checkInputPath('d', { cwd: dir, flag: 'IMAGE' }))).toMatchObject({
      code: 'INPUT_IS_DIRECTORY',
      exit: 2,
    });
    expect(await problem(checkInputPath('f', { cwd: dir, flag: '--from', kind: 'dir' }))).toMatchObject({
      code: 'INPUT_NOT_A_DIRECTORY',
      exit: 2,
    });
  });
});
