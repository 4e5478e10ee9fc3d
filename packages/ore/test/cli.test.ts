// The built `ore` bin as a shell pipeline runs it.
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@mantle/core/exec';
import { runWithClosedPipe } from '@mantle/test-utils/closed-pipe';
import { readOnlyDir } from '@mantle/test-utils/read-only';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm --filter @mantle/ore build`);
  dir = await mkdtemp(join(tmpdir(), 'ore-cli-'));
  const made = await run(process.execPath, [bin, 'image', 'create-layout', 'disk.raw'], {
    cwd: dir,
    reject: false,
  });
  expect(made.exitCode, made.stderr).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ore in a pipeline whose reader leaves early (as `| head -c 10`)', () => {
  for (const args of [
    ['image', 'info', 'disk.raw'],
    ['image', 'info', 'disk.raw', '--json'],
    ['profiles', 'list', '--json'],
    ['--help'],
    ['image', '--help'],
  ]) {
    it(`ore ${args.join(' ')} exits 0 without a stack`, async () => {
      const r = await runWithClosedPipe(bin, args, { cwd: dir, env: { ...process.env, HOME: dir } });
      expect(r.head).toHaveLength(10);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});

describe('ore path problems are exit 2 naming the path, before anything is written', () => {
  async function ore(args: string[], wrap: (a: string[]) => string[] = (a) => a) {
    const [cmd, ...rest] = wrap([process.execPath, bin, ...args]);
    return run(cmd!, rest, { cwd: dir, reject: false, timeoutMs: 60_000 });
  }

  it('create-layout OUT: a directory (even with --force), a missing directory, /proc', async () => {
    await mkdir(join(dir, 'adir'), { recursive: true });
    const isDir = await ore(['image', 'create-layout', '--force', 'adir']);
    expect(isDir.exitCode).toBe(2);
    expect(isDir.stderr).toContain('error: OUT adir is a directory');
    expect(isDir.stderr).toContain('hint: give the path of the file to create, e.g. adir/NAME');
    expect(isDir.stderr).not.toContain('EISDIR');
    const missing = await ore(['image', 'create-layout', 'nodir/x.raw']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`OUT nodir/x.raw: directory ${join(dir, 'nodir')} does not exist`);
    const proc = await ore(['image', 'create-layout', '/proc/x.raw']);
    expect(proc.exitCode).toBe(2);
    expect(proc.stderr).toContain('cannot write in /proc');
    expect(await readdir(join(dir, 'adir'))).toEqual([]);
  });

  it('create-layout OUT in a read-only directory', async () => {
    const ro = join(dir, 'ro');
    await mkdir(ro, { recursive: true });
    const lock = await readOnlyDir(ro);
    try {
      const r = await ore(['image', 'create-layout', 'ro/x.raw', '--json'], lock.wrap);
      expect(r.exitCode, r.stderr).toBe(2);
      const err = JSON.parse(r.stderr.trim()) as { code: string; message: string };
      expect(err.code).toBe('OUTPUT_NOT_WRITABLE');
      expect(err.message).toMatch(
        /^OUT ro\/x\.raw: cannot write in .*\/ro \((read-only file system|permission denied)\)$/,
      );
    } finally {
      await lock.restore();
    }
    expect(await readdir(ro)).toEqual([]);
  });

  it('reports --layout flatcar as flatcar', async () => {
    const r = await ore(['image', 'create-layout', '--layout', 'flatcar', 'named.raw', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ layout: 'flatcar' });
    expect(r.stderr).toContain('layout flatcar');
  });
});

describe('ore usage errors name the thing and the help of the command typed', () => {
  async function ore(args: string[]) {
    return run(process.execPath, [bin, ...args], { cwd: dir, reject: false, timeoutMs: 60_000 });
  }

  it('a missing positional is named, with its command usage and help', async () => {
    const r = await ore(['image', 'info']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: ore image info: missing <file> (usage: ore image info <file>)');
    expect(r.stderr).toContain("hint: run 'ore image info --help' for usage");
    expect((await ore(['image'])).stderr).toContain("hint: run 'ore image --help' for usage");
  });

  it('--size -5G is read as the value of --size and refused by name', async () => {
    const r = await ore(['image', 'create-layout', '--size', '-5G', 'neg.raw']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: --size "-5G" is not a size');
  });
});

describe('ore aws on Node 20', () => {
  it("does not print the AWS SDK's Node version notice, and still prints errors", async () => {
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')),
    );
    const dry = await run(process.execPath, [bin, 'aws', 'list-regions', '--dry-run'], {
      cwd: dir,
      reject: false,
      env: { ...env, HOME: dir },
    });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('dry run: EC2 DescribeRegions');
    expect(dry.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
    const bad = await run(
      process.execPath,
      [bin, 'aws', 'list-regions', '--region', 'nowhere-1', '--dry-run'],
      {
        cwd: dir,
        reject: false,
        env: { ...env, HOME: dir },
      },
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('nowhere-1');
  });
});
