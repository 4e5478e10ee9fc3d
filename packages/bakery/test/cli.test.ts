import { beforeAll, describe, expect, it } from 'vitest';
import { bakery, requireBuilt } from './helpers.js';

beforeAll(requireBuilt);

describe('bakery CLI surface', () => {
  it('lists every command in --help and answers --version', async () => {
    const h = await bakery(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['create [name]', 'inspect <image>', 'validate <image>', 'list-recipes', 'sysupdate <name>', 'publish <dir> <dest>', 'bake <image> <sysexts..>', 'flix <rootfs> <name> <paths..>']) expect(h.stdout).toContain(c);
    expect((await bakery(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const create = await bakery(['create', '--help']);
    expect(create.stdout).toContain('--version');
    expect(create.stderr).not.toContain('reserved word');
  });

  it('says which commands are not built yet (exit 2), never pretending success', async () => {
    for (const args of [['flatwrap', 'root', 'x', '/usr/bin/x'], ['oci-rootfs', 'alpine', 'dir']]) {
      const r = await bakery(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`'${args[0]}' is not built yet`);
    }
    const u = await bakery(['nope']);
    expect(u.code).toBe(2);
  });
});
