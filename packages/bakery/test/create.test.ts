import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bakery, exec, ls, makeTree, requireBuilt, sampleTree, tempDirs } from './helpers.js';

const tmp = tempDirs();
let tree: string;

beforeAll(async () => {
  await requireBuilt();
  tree = await makeTree(join(await tmp.make('tree'), 'src'), sampleTree('create'));
});
afterAll(() => tmp.cleanup());

describe('bakery create (real mksquashfs, mkfs.erofs, mke2fs)', () => {
  it('builds NAME-VERSION-ARCH.raw with metadata and Upholds= drop-ins, records SHA256SUMS, and is reproducible', async () => {
    const a = await tmp.make('out');
    const b = await tmp.make('out');
    const args = [
      'create',
      'hello',
      '--from',
      tree,
      '--version',
      '1.2.3',
      '--upholds',
      'hello.service',
      '--upholds',
      'sockets.target:hello.socket',
      '--reload-manager',
      '--json',
    ];
    const r1 = await bakery([...args, '--out', a]);
    expect(r1.code, r1.stderr).toBe(0);
    const res = JSON.parse(r1.stdout) as {
      file: string;
      sha256: string;
      metadata: Record<string, string>;
      warnings: string[];
    };
    expect(res.file).toBe('hello-1.2.3-x86-64.raw');
    expect(res.metadata).toEqual({ ID: '_any', ARCHITECTURE: 'x86-64', EXTENSION_RELOAD_MANAGER: '1' });
    expect(res.warnings.join('\n')).toContain('hello.socket');
    // a second run elsewhere, a second later: same bytes
    await new Promise((r) => setTimeout(r, 1100));
    const r2 = await bakery([...args, '--out', b]);
    expect(r2.code, r2.stderr).toBe(0);
    const img = join(a, res.file);
    expect(Buffer.compare(await readFile(img), await readFile(join(b, res.file)))).toBe(0);
    expect(await readFile(join(a, 'SHA256SUMS'), 'utf8')).toBe(`${res.sha256}  hello-1.2.3-x86-64.raw\n`);
    expect(await ls(a)).toEqual(['SHA256SUMS', 'hello-1.2.3-x86-64.raw']);

    const list = await exec('unsquashfs', ['-lln', '-d', '', img]);
    expect(list.stdout).toMatch(/-rwxr-xr-x 0\/0 +\d+ 1970-01-01 00:00 \/usr\/bin\/hello/);
    expect(list.stdout).toContain('/usr/bin/hi -> hello');
    const meta = await exec('unsquashfs', [
      '-cat',
      img,
      'usr/lib/extension-release.d/extension-release.hello',
    ]);
    expect(meta.stdout).toBe('ID=_any\nARCHITECTURE=x86-64\nEXTENSION_RELOAD_MANAGER=1\n');
    const dropIn = await exec('unsquashfs', [
      '-cat',
      img,
      'usr/lib/systemd/system/sockets.target.d/10-hello-socket.conf',
    ]);
    expect(dropIn.stdout).toBe('[Unit]\nUpholds=hello.socket\n');
    expect(
      (
        await exec('unsquashfs', [
          '-cat',
          img,
          'usr/lib/systemd/system/multi-user.target.d/10-hello-service.conf',
        ])
      ).stdout,
    ).toBe('[Unit]\nUpholds=hello.service\n');

    // a second image in the same directory is appended to SHA256SUMS
    const r3 = await bakery([
      'create',
      'hello',
      '--from',
      tree,
      '--version',
      '1.2.4',
      '--os',
      'flatcar',
      '--out',
      a,
      '--json',
    ]);
    expect(r3.code, r3.stderr).toBe(0);
    expect((JSON.parse(r3.stdout) as { metadata: unknown }).metadata).toEqual({
      ID: 'flatcar',
      SYSEXT_LEVEL: '1.0',
      ARCHITECTURE: 'x86-64',
    });
    expect(
      (await readFile(join(a, 'SHA256SUMS'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('  ')[1]),
    ).toEqual(['hello-1.2.3-x86-64.raw', 'hello-1.2.4-x86-64.raw']);
  });

  it.each(['erofs', 'ext4'])(
    'builds %s reproducibly, root-owned, readable by bakery inspect',
    async (format) => {
      const before = (await exec('find', [tree, '-printf', '%P %y %m %s %T@\\n'])).stdout;
      const a = await tmp.make(format);
      const b = await tmp.make(format);
      const args = [
        'create',
        'hello',
        '--from',
        tree,
        '--version',
        '1',
        '--arch',
        'arm64',
        '--format',
        format,
        '--epoch',
        '1700000000',
        '--json',
      ];
      const r1 = await bakery([...args, '--out', a]);
      expect(r1.code, r1.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await bakery([...args, '--out', b])).code).toBe(0);
      const file = 'hello-1-arm64.raw';
      expect(Buffer.compare(await readFile(join(a, file)), await readFile(join(b, file)))).toBe(0);
      if (format === 'ext4') expect((await exec('e2fsck', ['-fn', join(a, file)])).code).toBe(0);
      const ins = await bakery(['inspect', join(a, file), '--json']);
      expect(ins.code, ins.stderr).toBe(0);
      const info = JSON.parse(ins.stdout) as {
        format: string;
        metadata: { name: string; fields: Record<string, string> }[];
        files: { path: string; uid: number; mode: number; target?: string }[];
      };
      expect(info.format).toBe(format);
      expect(info.metadata).toEqual([
        {
          name: 'hello',
          path: 'usr/lib/extension-release.d/extension-release.hello',
          fields: { ID: '_any', ARCHITECTURE: 'arm64' },
        },
      ]);
      expect(info.files.find((f) => f.path === 'usr/bin/hello')).toMatchObject({ uid: 0, mode: 0o755 });
      expect(info.files.find((f) => f.path === 'usr/bin/hi')).toMatchObject({ target: 'hello' });
      expect(await ls(a)).toEqual(['SHA256SUMS', file]);
      // the source tree is read, never changed (erofs stages it as a hard-link farm)
      expect((await exec('find', [tree, '-printf', '%P %y %m %s %T@\\n'])).stdout).toBe(before);
    },
  );

  it('builds btrfs when btrfs-progs is there (exit 3 naming the package otherwise)', async () => {
    const out = await tmp.make('btrfs');
    const r = await bakery(['create', 'hello', '--from', tree, '--format', 'btrfs', '--out', out, '--json']);
    if (r.code === 3) {
      expect(r.stderr).toContain('btrfs-progs');
      return;
    }
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'btrfs', file: 'hello.raw', reproducible: false });
    const head = await readFile(join(out, 'hello.raw'));
    expect(head.toString('latin1', 0x10040, 0x10048)).toBe('_BHRfS_M');
    // read back without a mount (btrfs restore): metadata, files and modes
    const info = await bakery(['inspect', join(out, 'hello.raw'), '--json']);
    expect(info.code, info.stderr).toBe(0);
    const data = JSON.parse(info.stdout) as {
      format: string;
      metadata: { name: string; fields: Record<string, string> }[];
      files: { path: string }[];
    };
    expect(data.format).toBe('btrfs');
    expect(data.metadata).toEqual([
      expect.objectContaining({ name: 'hello', fields: expect.objectContaining({ ID: '_any' }) as unknown }),
    ]);
    expect(data.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['usr/lib/extension-release.d/extension-release.hello']),
    );
    const check = await bakery(['validate', join(out, 'hello.raw'), '--os', 'debian', '--version-id', '12']);
    expect(check.code, check.stderr + check.stdout).toBe(0);
    // the extracted copy is gone (the test's own output dir has the same prefix)
    expect(
      (await readdir(tmpdir())).filter((n) => n.startsWith('bakery-btrfs-') && join(tmpdir(), n) !== out),
    ).toEqual([]);
  });

  const bad: [string, Record<string, Parameters<typeof makeTree>[1][string]>, string[], RegExp][] = [
    ['a tree with etc/', { 'usr/bin/x': 'x', 'etc/x.conf': 'x' }, [], /etc\/ is outside usr\/ and opt\//],
    [
      'a tree with usr/lib/os-release',
      { 'usr/lib/os-release': 'ID=x\n' },
      [],
      /usr\/lib\/os-release: is the OS identity/,
    ],
    ['usr/sbin for Flatcar', { 'usr/sbin/x': 'x' }, ['--os', 'flatcar'], /usr\/sbin: exists, but Flatcar/],
    [
      'a symlink escaping the tree',
      { 'usr/bin/x': { symlink: '../../../etc/shadow' } },
      [],
      /climbs above the image root/,
    ],
    ['a setuid file', { 'usr/bin/x': { content: 'x', mode: 0o4755 } }, [], /usr\/bin\/x: is setuid/],
    [
      'shipped metadata',
      { 'usr/lib/extension-release.d/extension-release.t': 'ID=_any\n' },
      [],
      /is extension metadata/,
    ],
  ];
  it.each(bad)(
    'refuses %s with exit 2, the path named, and nothing written',
    async (_label, items, extra, msg) => {
      const src = await makeTree(join(await tmp.make('bad'), 'src'), items);
      const out = await tmp.make('out');
      const r = await bakery(['create', 't', '--from', src, '--out', out, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toContain('hint:');
      expect(await ls(out)).toEqual([]);
    },
  );

  it('refuses bad flags with exit 2 before reading the tree', async () => {
    const out = await tmp.make('out');
    const cases: [string[], RegExp][] = [
      [['create', 'a/b', '--from', tree], /NAME "a\/b" contains a '\/'/],
      [['create', 'x', '--from', tree, '--arch', 'sparc'], /--arch "sparc" is not a supported architecture/],
      [['create', 'x', '--from', tree, '--format', 'zip'], /--format "zip"/],
      [['create', 'x', '--from', join(tree, 'nope')], /--from .*nope: no such file or directory/],
      [['create', 'x'], /--from DIR \(or --recipe\) is required/],
      [['create', 'x', '--from', tree, '--epoch', '-5'], /--epoch "-5"/],
      [['create', 'x', '--from', tree, '--out', join(tree, 'usr')], /--out .* is inside --from/],
    ];
    for (const [args, msg] of cases) {
      const r = await bakery(args.includes('--out') ? args : [...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(await ls(out)).toEqual([]);
    expect((await stat(tree)).isDirectory()).toBe(true);
  });
});
