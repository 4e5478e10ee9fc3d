import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, makeDecoy, snapshot } from './hostile-helpers.js';
import { bakery, ls, makeTree, requireBuilt, sampleTree, tempDirs } from './helpers.js';

// `bakery create --from TREE` with hostile trees, for every --format, through the real bin as
// root: a symlink where bakery writes its metadata or drop-ins (it wrote them into the linked
// host directory, or silently left them out with squashfs), a hard link to a host file, special
// files and control characters in names, and an --out path that would inject commands into the
// line-oriented files mksquashfs and debugfs read. The decoy directory stands for the host.

const FORMATS = ['squashfs', 'erofs', 'ext4', 'btrfs'] as const;
const tmp = tempDirs();
let work: string;
let decoy: string;
let before: string[];

async function tree(name: string, extra: (root: string) => void | Promise<void>): Promise<string> {
  const root = await makeTree(join(work, name), sampleTree(name));
  await extra(root);
  return root;
}

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('hostile-tree');
  decoy = await makeDecoy(work);
});
afterAll(() => tmp.cleanup());
beforeEach(async () => {
  before = await snapshot(decoy);
});

describe('hostile trees for create --from (real bin, every --format, as root)', () => {
  it('refuses a symlinked directory where bakery writes metadata or drop-ins, for every format', async () => {
    const release = await tree('release-link', async (root) => {
      await mkdir(join(root, 'usr/lib'), { recursive: true });
      await symlink(decoy, join(root, 'usr/lib/extension-release.d'));
    });
    const units = await tree('units-link', async (root) => {
      await rm(join(root, 'usr/lib/systemd/system'), { recursive: true });
      await symlink(decoy, join(root, 'usr/lib/systemd/system'));
    });
    const notDir = await tree('release-file', async (root) => {
      await writeFile(join(root, 'usr/lib/extension-release.d'), 'a file\n');
    });
    for (const format of FORMATS) {
      const out = await tmp.make(`out-${format}`);
      const a = await bakery(['create', 'evil', '--from', release, '--format', format, '--out', out]);
      expectRefused(
        a,
        'usr/lib/extension-release.d: is a symlink',
        `(to ${decoy})`,
        'extension-release.evil',
      );
      const b = await bakery([
        'create',
        'evil',
        '--from',
        units,
        '--format',
        format,
        '--upholds',
        'hello.service',
        '--out',
        out,
      ]);
      expectRefused(b, 'usr/lib/systemd/system: is a symlink', 'multi-user.target.d');
      const c = await bakery(['create', 'evil', '--from', notDir, '--format', format, '--out', out]);
      expectRefused(c, 'usr/lib/extension-release.d: is not a directory');
      expect(await snapshot(decoy), format).toEqual(before);
      expect(await ls(out)).toEqual([]);
    }
  });

  it('reports a hard link to a file outside the tree (and takes nothing else from outside)', async () => {
    const hard = await tree('hardlink', async (root) => {
      await link(join(decoy, 'keep.conf'), join(root, 'usr/share/linked.conf'));
    });
    for (const format of FORMATS) {
      const out = await tmp.make(`hard-${format}`);
      const r = await bakery(['create', 'hard', '--from', hard, '--format', format, '--out', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const warnings = (JSON.parse(r.stdout) as { warnings: string[] }).warnings.join('\n');
      expect(warnings).toContain('1 file is a hard link to files outside --from (usr/share/linked.conf)');
      expect(await snapshot(decoy), format).toEqual(before);
    }
  });

  it('refuses devices, FIFOs and control characters in names (exit 2, naming them)', async () => {
    const special = await tree('special', (root) => {
      execFileSync('mknod', [join(root, 'usr/share/sda'), 'b', '8', '0']);
      execFileSync('mkfifo', [join(root, 'usr/share/pipe')]);
    });
    const names = await tree('names', async (root) => {
      await writeFile(join(root, 'usr/share/esc\u001b[2Jname'), 'x');
    });
    for (const format of FORMATS) {
      const out = await tmp.make(`special-${format}`);
      const a = await bakery(['create', 's', '--from', special, '--format', format, '--out', out]);
      expectRefused(a, 'usr/share/sda: is a device, FIFO or socket', 'usr/share/pipe');
      const b = await bakery(['create', 's', '--from', names, '--format', format, '--out', out]);
      expectRefused(b, '"usr/share/esc\\u001b[2Jname": has a newline or another control character');
      expect(await ls(out)).toEqual([]);
    }
    expect(await snapshot(decoy)).toEqual(before);
  });

  it('puts no --out path into the lines mksquashfs and debugfs read (no command injection)', async () => {
    const plain = await tree('plain', () => undefined);
    for (const format of ['squashfs', 'ext4'] as const) {
      const marker = join(work, `injected-${format}`);
      const out = join(work, `o-${format}\n!touch ${marker}\nx F 0 755 0 0 touch ${marker}\n`);
      // The name holds slashes, so its parent is a directory tree of its own; --out's parent must
      // exist (bakery creates only the last component), so the test makes it.
      const top = join(work, out.slice(work.length + 1).split('/')[0]!);
      await mkdir(dirname(out), { recursive: true });
      const r = await bakery([
        'create',
        'inj',
        '--from',
        plain,
        '--format',
        format,
        '--upholds',
        'hello.service',
        '--out',
        out,
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(marker), `${format}: the injected command ran`).toBe(false);
      const info = await bakery(['inspect', join(out, 'inj.raw'), '--json']);
      expect(info.code, info.stderr).toBe(0);
      expect(info.stdout).toContain('extension-release.inj');
      await rm(top, { recursive: true, force: true });
    }
    expect(await snapshot(decoy)).toEqual(before);
  });
});
