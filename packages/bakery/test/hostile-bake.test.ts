import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ext4List, partitionRef } from '@mantle/core/disk';
import { hashFile } from '@mantle/core/verify';
import { miniFlatcarDisk } from './flatcar-disk.js';
import { expectRefused, makeDecoy, snapshot } from './hostile-helpers.js';
import { bakery, exec, ls, makeTree, requireBuilt, sampleTree, tempDirs } from './helpers.js';

// `bakery bake` with hostile inputs through the real bin, as root: a sysext path with a newline
// (it became a second debugfs command, and debugfs runs `!` lines through a shell), and a sysext
// whose own metadata names it `..` when no NAME: is given (it landed at /opt/evil.raw).

const tmp = tempDirs();
let work: string;
let decoy: string;
let hello: string;
let before: string[];

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('hostile-bake');
  decoy = await makeDecoy(work);
  const src = await makeTree(join(work, 'src'), sampleTree('hello'));
  const r = await bakery(['create', 'hello', '--from', src, '--out', join(work, 'sysexts')]);
  if (r.code !== 0) throw new Error(r.stderr);
  hello = join(work, 'sysexts/hello.raw');
});
afterAll(() => tmp.cleanup());
beforeEach(async () => {
  before = await snapshot(decoy);
});

describe('hostile inputs for bake (real bin, debugfs, as root)', () => {
  it('refuses a sysext path with a newline before any work (no debugfs command injected)', async () => {
    const img = await miniFlatcarDisk(work, 'newline');
    const sum = await hashFile(img);
    // debugfs would run `touch injected` in bakery's working directory: WORK
    const marker = join(work, 'injected');
    const dir = join(work, 'd\n!touch injected\n');
    await mkdir(dir);
    await copyFile(hello, join(dir, 'hello.raw'));
    for (const spec of [`hello:${join(dir, 'hello.raw')}`, join(dir, 'hello.raw')]) {
      const r = await bakery(['bake', img, spec], { cwd: work });
      expectRefused(r, ': FILE', 'contains a double quote, newline or other control character');
      expect(existsSync(marker)).toBe(false);
      expect(await hashFile(img)).toBe(sum);
    }
    const q = join(work, 'q"uote.raw');
    await copyFile(hello, q);
    expectRefused(await bakery(['bake', img, `hello:${q}`]), 'q\\"uote.raw');
    expect(await hashFile(img)).toBe(sum);
    expect((await ls(work)).filter((n) => n.includes('.baking'))).toEqual([]);
    expect(await snapshot(decoy)).toEqual(before);
  });

  it('puts the name from the image metadata through the NAME rules', async () => {
    // A sysext whose only metadata is extension-release... : its name is "..", which made bake
    // write /opt/extensions/../FILE = /opt/FILE. bakery create refuses to ship metadata, so the
    // image is made with mksquashfs directly.
    const tree = await makeTree(join(work, 'evil-tree'), {
      'usr/bin/x': { content: '#!/bin/sh\n', mode: 0o755 },
      'usr/lib/extension-release.d/extension-release...': 'ID=_any\n',
    });
    const evil = join(work, 'evil.raw');
    const m = await exec('mksquashfs', [tree, evil, '-noappend', '-all-root', '-quiet', '-no-progress']);
    expect(m.code, m.stderr).toBe(0);
    const img = await miniFlatcarDisk(work, 'metaname');
    const sum = await hashFile(img);
    const r = await bakery(['bake', img, evil]);
    expectRefused(r, 'the extension name in', '".."', 'is not a valid sysext name');
    expect(await hashFile(img)).toBe(sum);
    const opt = await ext4List(await partitionRef(img, 'ROOT'), '/opt').catch(() => []);
    expect(opt.map((e) => e.name)).not.toContain('evil.raw');
    expect(await snapshot(decoy)).toEqual(before);
  });
});
