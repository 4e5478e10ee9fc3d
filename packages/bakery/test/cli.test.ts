import { beforeAll, describe, expect, it } from 'vitest';
import { bakery, requireBuilt } from './helpers.js';

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
    expect((await bakery(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
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
