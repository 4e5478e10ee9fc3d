import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithClosedPipe } from '@mantle/test-utils/closed-pipe';
import { BIN, bakery, makeTree, requireBuilt, tempDirs, type TreeItem } from './helpers.js';

beforeAll(requireBuilt);

describe('bakery CLI surface', () => {
  it('lists every command in --help and answers --version', async () => {
    const h = await bakery(['--help']);
    expect(h.code).toBe(0);
    for (const c of [
      'create [name]',
      'inspect <image>',
      'validate <image>',
      'list-recipes',
      'sysupdate <name>',
      'publish <dir> <dest>',
      'bake <image> <sysexts..>',
      'flix <rootfs> <name> <paths..>',
      'flatwrap <rootfs> <name> <paths..>',
      'oci-rootfs <image> <dir>',
    ])
      expect(h.stdout).toContain(c);
    expect((await bakery(['--version'])).stdout.trim()).toMatch(/^bakery \d+\.\d+\.\d+$/);
    const create = await bakery(['create', '--help']);
    expect(create.stdout).toContain('--version');
    expect(create.stderr).not.toContain('reserved word');
  });

  it('every command is built: none answers "not built yet"; an unknown one exits 2', async () => {
    const h = await bakery(['--help']);
    expect(h.stdout).not.toContain('not built yet');
    const u = await bakery(['nope']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('Unknown argument: nope');
  });
});

describe('bakery in a pipeline whose reader leaves early (as `| head -c 10`)', () => {
  const dirs = tempDirs();
  let image: string;
  beforeAll(async () => {
    // 3000 files: `inspect --files` prints ~250 KiB, far more than a pipe holds.
    const items: Record<string, TreeItem> = {};
    for (let i = 0; i < 3000; i++) items[`usr/share/many/file-${i}`] = `${i}\n`;
    const tree = await makeTree(join(await dirs.make('pipe-src'), 'tree'), items);
    const out = await dirs.make('pipe-out');
    const r = await bakery(['create', 'many', '--from', tree, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    image = join(out, 'many.raw');
  });
  afterAll(() => dirs.cleanup());

  for (const args of [
    ['list-recipes'],
    ['list-recipes', '--json'],
    ['inspect', '--files', '<image>'],
    ['inspect', '<image>', '--json'],
    ['--help'],
  ]) {
    it(`bakery ${args.join(' ')} exits 0 without a stack`, async () => {
      const r = await runWithClosedPipe(
        BIN,
        args.map((a) => (a === '<image>' ? image : a)),
      );
      expect(r.head).toHaveLength(10);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});
