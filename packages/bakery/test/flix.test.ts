import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bakery, exec, ls, makeTree, requireBuilt, tempDirs } from './helpers.js';

// flix with the real patchelf on a root filesystem assembled from this host's b2sum and glibc,
// then run from the merged sysext in a chroot that has no libc of its own.

const tmp = tempDirs();
let work: string;
let rootfs: string;

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('flix');
  rootfs = join(work, 'rootfs');
  await mkdir(join(rootfs, 'usr/bin'), { recursive: true });
  await mkdir(join(rootfs, 'lib/x86_64-linux-gnu'), { recursive: true });
  await mkdir(join(rootfs, 'lib64'), { recursive: true });
  await copyFile('/usr/bin/b2sum', join(rootfs, 'usr/bin/b2sum'));
  await exec('chmod', ['755', join(rootfs, 'usr/bin/b2sum')]);
  for (const lib of ['libc.so.6', 'ld-linux-x86-64.so.2'])
    await copyFile(`/lib/x86_64-linux-gnu/${lib}`, join(rootfs, 'lib/x86_64-linux-gnu', lib));
  await exec('ln', [
    '-s',
    '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    join(rootfs, 'lib64/ld-linux-x86-64.so.2'),
  ]);
  await makeTree(rootfs, {
    'etc/ld.so.conf.d/multiarch.conf': '/lib/x86_64-linux-gnu\n',
    'usr/share/b2/readme': 'docs\n',
  });
});
afterAll(() => tmp.cleanup());

describe('bakery flix (real patchelf)', () => {
  /** The sysext the first test built, run by the second. */
  let built: string | undefined;

  it('relocates a binary with its loader and libraries under /usr/local/NAME', async () => {
    const out = join(work, 'out');
    const r = await bakery([
      'flix',
      rootfs,
      'b2',
      '/usr/bin/b2sum',
      '/usr/share/b2',
      '--version',
      '1',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as {
      file: string;
      binaries: { path: string; interpreter: string; libraries: string[] }[];
      metadata: Record<string, string>;
    };
    expect(res.file).toBe('b2-1-x86-64.raw');
    expect(res.binaries).toEqual([
      {
        path: 'usr/bin/b2sum',
        interpreter: '/usr/local/b2/ld-linux-x86-64.so.2',
        libraries: ['libc.so.6', 'ld-linux-x86-64.so.2'],
      },
    ]);
    expect(res.metadata.EXTENSION_RELOAD_MANAGER).toBe('1');
    const ex = join(work, 'ex');
    expect((await exec('unsquashfs', ['-q', '-d', ex, join(out, res.file)])).code).toBe(0);
    expect(await ls(join(ex, 'usr/local/b2'))).toEqual(['ld-linux-x86-64.so.2', 'libc.so.6']);
    expect(await ls(join(ex, 'usr/share/b2'))).toEqual(['readme']);
    expect((await exec('patchelf', ['--print-interpreter', join(ex, 'usr/bin/b2sum')])).stdout.trim()).toBe(
      '/usr/local/b2/ld-linux-x86-64.so.2',
    );
    expect((await exec('patchelf', ['--print-rpath', join(ex, 'usr/bin/b2sum')])).stdout.trim()).toBe(
      '/usr/local/b2:/usr/local/b2/extralibs',
    );
    built = join(out, res.file);
  });

  // mount namespaces, systemd-sysext --root and chroot need root (CI runs as root); as another
  // user the skip guard names this test.
  it.runIf(process.getuid?.() === 0)(
    'the relocated binary runs from the merged sysext in a chroot without libc',
    async () => {
      expect(built, 'the previous test built the sysext').toBeDefined();
      const root = join(work, 'R');
      await mkdir(join(root, 'usr/lib'), { recursive: true });
      await mkdir(join(root, 'etc/extensions'), { recursive: true });
      await writeFile(join(root, 'usr/lib/os-release'), 'ID=bare\n');
      await writeFile(join(root, 'usr/lib/data'), 'hello\n');
      await copyFile(built!, join(root, 'etc/extensions/b2.raw'));
      const script = [
        'R="$1"',
        'mount -t tmpfs tmpfs /run && mount --bind "$R" "$R" && mount --make-shared "$R" || exit 1',
        'SYSTEMD_SYSEXT_HIERARCHIES=/usr systemd-sysext merge --root="$R" >&2 || exit 1',
        'chroot "$R" /usr/bin/b2sum /usr/lib/data; rc=$?',
        'SYSTEMD_SYSEXT_HIERARCHIES=/usr systemd-sysext unmerge --root="$R" >&2',
        'umount "$R"',
        'exit $rc',
      ].join('\n');
      const run = await exec('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', root]);
      expect(run.code, run.stderr).toBe(0);
      const expected = (await exec('b2sum', [join(root, 'usr/lib/data')])).stdout.split(' ')[0];
      expect(run.stdout).toBe(`${expected}  /usr/lib/data\n`);
    },
  );

  it('refuses paths outside /usr and missing files with exit 2', async () => {
    const out = join(work, 'bad');
    for (const [args, msg] of [
      [['flix', rootfs, 'x', '/etc/passwd'], /must be absolute and land under \/usr or \/opt/],
      [['flix', rootfs, 'x', '/usr/bin/nope'], /\/usr\/bin\/nope does not exist/],
      [['flix', join(work, 'nope'), 'x', '/usr/bin/b2sum'], /ROOTFS .*nope: no such file or directory/],
      [['flix', rootfs, 'a/b', '/usr/bin/b2sum'], /contains a '\/'/],
    ] as [string[], RegExp][]) {
      const r = await bakery([...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(await ls(out)).toEqual([]);
  });
});
