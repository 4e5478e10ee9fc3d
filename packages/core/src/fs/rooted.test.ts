import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInRoot } from './rooted.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mantle-rooted-'));
  await mkdir(join(root, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
  await writeFile(join(root, 'usr/lib/x86_64-linux-gnu/ld.so'), '');
  await symlink('usr/lib', join(root, 'lib')); // merged /usr, relative
  await mkdir(join(root, 'lib64'));
  await symlink('/lib/x86_64-linux-gnu/ld.so', join(root, 'lib64/ld.so')); // absolute: re-rooted
  await symlink('../../../../../etc/passwd', join(root, 'usr/lib/escape'));
  await symlink('loop2', join(root, 'loop1'));
  await symlink('loop1', join(root, 'loop2'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('resolveInRoot', () => {
  it('follows relative, absolute and intermediate symlinks inside the root', async () => {
    expect(await resolveInRoot(root, '/lib64/ld.so')).toBe('/usr/lib/x86_64-linux-gnu/ld.so');
    expect(await resolveInRoot(root, '/lib/x86_64-linux-gnu/ld.so')).toBe('/usr/lib/x86_64-linux-gnu/ld.so');
    expect(await resolveInRoot(root, '/nope')).toBeUndefined();
  });

  it('never climbs above the root and stops on loops', async () => {
    expect(await resolveInRoot(root, '/usr/lib/escape')).toBeUndefined(); // /etc/passwd inside the root: absent
    await expect(resolveInRoot(root, '/loop1')).rejects.toThrow(/too many symlinks/);
  });
});
