// Path problems through the built `bakery` bin: a bad output or a missing input is exit 2 naming
// the path and the way out, found before any work, never raw errno text or a hang.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnlyDir } from '@mantle/test-utils/read-only';
import { BIN, bakery, exec, ls, makeTree, requireBuilt, sampleTree, tempDirs } from './helpers.js';

const tmp = tempDirs();
let work: string;
let tree: string;

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('paths');
  tree = await makeTree(join(work, 'tree'), sampleTree('paths'));
});
afterAll(() => tmp.cleanup());

describe('bakery create --out', () => {
  it('a file, a missing parent and /proc are exit 2 at once (no endless mkdir)', async () => {
    await writeFile(join(work, 'afile'), 'x');
    const file = await bakery(['create', 't', '--from', tree, '--out', 'afile'], { cwd: work });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('error: --out afile exists and is not a directory');
    expect(file.stderr).not.toContain('EEXIST');
    const missing = await bakery(['create', 't', '--from', tree, '--out', 'no/such/dir'], { cwd: work });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--out no/such/dir: directory ${join(work, 'no/such')} does not exist`);
    const started = Date.now();
    const proc = await bakery(['create', 't', '--from', tree, '--out', '/proc/x']);
    expect(proc.code).toBe(2);
    expect(proc.stderr).toContain('--out /proc/x: cannot write in /proc');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await ls(work)).toEqual(['afile', 'tree']);
  });

  it('a read-only directory is exit 2 naming it', async () => {
    const ro = await makeTree(join(work, 'ro'), {});
    const lock = await readOnlyDir(ro);
    try {
      const [cmd, ...rest] = lock.wrap([
        process.execPath,
        BIN,
        'create',
        't',
        '--from',
        tree,
        '--out',
        ro,
        '--json',
      ]);
      const r = await exec(cmd!, rest);
      expect(r.code, r.stderr).toBe(2);
      const err = JSON.parse(r.stderr.trim().split('\n').pop()!) as { code: string; message: string };
      expect(err.code).toBe('OUTPUT_NOT_WRITABLE');
      expect(err.message).toMatch(
        /^--out .*\/ro: cannot write in .*\/ro \((read-only file system|permission denied)\)$/,
      );
    } finally {
      await lock.restore();
    }
    expect(await ls(ro)).toEqual([]);
  });

  it('refuses to replace an image of the same name and version without --force', async () => {
    const out = join(work, 'out');
    const args = ['create', 'same', '--from', tree, '--version', '1', '--out', out];
    expect((await bakery(args)).code).toBe(0);
    const again = await bakery(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('same-1-x86-64.raw already exists');
    expect(again.stderr).toContain('hint: pass --force to replace it');
    expect((await bakery([...args, '--force'])).code).toBe(0);
    expect(await ls(out)).toEqual(['SHA256SUMS', 'same-1-x86-64.raw']);
  });
});

describe('missing inputs are exit 2 in every command', () => {
  for (const args of [
    ['inspect', 'nope.raw'],
    ['validate', 'nope.raw', '--os', 'flatcar'],
    ['create', 't', '--from', 'nope'],
    ['bake', 'nope.img', 'x:nope.raw'],
    ['publish', 'nope', 'file:///tmp/x'],
  ]) {
    it(`bakery ${args.join(' ')}`, async () => {
      const r = await bakery(args, { cwd: work });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/nope(\.raw|\.img)?: no such file or directory/);
      expect(r.stderr).toContain(`relative paths are taken from the current directory, ${work}`);
    });
  }
});

describe('bakery messages name the thing', () => {
  it('a missing positional, --epoch abc, validate --arch/--sysext-level as create checks them', async () => {
    const bake = await bakery(['bake', 'x.img'], { cwd: work });
    expect(bake.code).toBe(2);
    expect(bake.stderr).toContain(
      'error: bakery bake: missing <sysexts..> (usage: bakery bake <image> <sysexts..>)',
    );
    expect(bake.stderr).toContain("hint: run 'bakery bake --help' for usage");
    const epoch = await bakery(['create', 't', '--from', tree, '--epoch', 'abc', '--out', 'e'], {
      cwd: work,
    });
    expect(epoch.code).toBe(2);
    expect(epoch.stderr).toContain('--epoch "abc" is not a Unix time');
    const out = join(work, 'v');
    expect((await bakery(['create', 'v', '--from', tree, '--out', out])).code).toBe(0);
    const image = join(out, 'v.raw');
    for (const [flags, msg] of [
      [['--arch', 'sparc'], '--arch "sparc" is not a supported architecture'],
      [['--sysext-level', 'a b'], '--sysext-level "a b" has characters os-release values cannot hold'],
    ] as const) {
      for (const cmd of [
        ['create', 'v', '--from', tree, '--out', join(work, 'v2'), '--os', 'flatcar', ...flags],
        ['validate', image, '--os', 'flatcar', ...flags],
      ]) {
        const r = await bakery(cmd);
        expect(r.code, `${cmd.join(' ')}\n${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(msg);
      }
    }
  });
});
