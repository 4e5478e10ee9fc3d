import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bakery, exec, ls, makeTree, requireBuilt, tempDirs } from './helpers.js';

// flatwrap on a root filesystem made of the static busybox of busybox-static, built with the real
// mksquashfs, read back with `bakery inspect`, and its wrappers run for real: through bwrap from a
// sysext merged by systemd-sysext into a scratch root (in a private mount namespace), and through
// bwrap or unshare from unsquashfs'd images (FLATWRAP_ROOT=DIR points the wrappers at DIR).

const tmp = tempDirs();
let work: string;
let rootfs: string;
const isRoot = process.getuid?.() === 0;

interface Result {
  path: string;
  file: string;
  root: string;
  runner: string;
  wrapper: string;
  entries: {
    spec: string;
    kind: string;
    source: string;
    target: string;
    changes?: { key: string; to: string }[];
  }[];
  warnings: string[];
  metadata: Record<string, string>;
  hostNeeds: string[];
  rootfsStaging: string;
}

/** Build with `bakery flatwrap … --json` into a fresh out dir and unpack the image; returns both. */
async function build(tag: string, extra: string[]): Promise<{ res: Result; ex: string }> {
  const out = join(work, `out-${tag}`);
  const r = await bakery([
    'flatwrap',
    rootfs,
    'fwtest',
    '/bin/busybox',
    '/bin/sh:/usr/bin/fwtest-sh',
    '--out',
    out,
    '--json',
    // bwrap unless the test picks a wrapper (the default, auto, is tested on its own)
    ...(extra.includes('--wrapper') ? [] : ['--wrapper', 'bwrap']),
    ...extra,
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  const res = JSON.parse(r.stdout) as Result;
  const ex = join(work, `ex-${tag}`);
  const u = await exec('unsquashfs', ['-q', '-no-progress', '-d', ex, res.path]);
  if (u.code !== 0) throw new Error(u.stderr);
  return { res, ex };
}

/** Run a shell script with FLATWRAP_ROOT=dir, from cwd. */
function sh(script: string, dir: string, cwd = '/tmp'): ReturnType<typeof exec> {
  return exec('env', [`FLATWRAP_ROOT=${dir}`, 'sh', '-c', script, 'sh', dir], { cwd });
}

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('flatwrap');
  rootfs = join(work, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin/busybox'));
  await exec('chmod', ['755', join(rootfs, 'bin/busybox')]);
  const links: Record<string, { symlink: string }> = {};
  for (const applet of ['sh', 'cat', 'ls', 'test', 'echo', 'printf', 'pwd'])
    links[`bin/${applet}`] = { symlink: 'busybox' };
  await makeTree(rootfs, {
    ...links,
    'etc/os-release': 'ID=flatwrap-test\n',
    'usr/share/fwtest/marker': 'from the root filesystem\n',
    'opt/my tool': { content: '#!/bin/sh\nprintf "<%s>" "$@"\n', mode: 0o755 },
    'usr/lib/systemd/system/fwtest.service': [
      '[Service]',
      'ExecStartPre=/bin/sh -c "echo pre"',
      'ExecStart=/bin/busybox sleep 1000',
      'ExecStop=-/bin/cat /usr/share/fwtest/marker',
      'ExecReload=/bin/kill -HUP $MAINPID',
      '',
    ].join('\n'),
    'var/tmp': { dir: true },
    tmp: { dir: true },
    usr: { dir: true },
  });
});
afterAll(() => tmp.cleanup());

describe('bakery flatwrap (real mksquashfs, bwrap, unshare, systemd-sysext)', () => {
  it('builds the root filesystem, wrappers, units and resources into one sysext', async () => {
    const out = join(work, 'out-main');
    const r = await bakery([
      'flatwrap',
      rootfs,
      'fwtest',
      '/bin/busybox',
      '/opt/my tool',
      '/usr/lib/systemd/system/fwtest.service',
      '/usr/share/fwtest',
      '--version',
      '1.0',
      '--wrapper',
      'bwrap',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Result;
    expect(res.file).toBe('fwtest-1.0-x86-64.raw');
    expect(res.root).toBe('/usr/local/fwtest');
    expect(res.wrapper).toBe('bwrap');
    expect(res.hostNeeds).toEqual(['bwrap (bubblewrap)']);
    expect(res.rootfsStaging).toBe('hardlink'); // same filesystem as --out: no data copied
    expect(res.entries.map((e) => [e.kind, e.target])).toEqual([
      ['wrapper', '/usr/bin/busybox'],
      ['wrapper', '/opt/my tool'],
      ['unit', '/usr/lib/systemd/system/fwtest.service'],
      ['resource', '/usr/share/fwtest'],
    ]);
    expect(res.warnings.join('\n')).toMatch(/ExecReload=\/bin\/kill is not in the root filesystem/);
    expect(r.stderr).toMatch(/warn.*ExecReload=\/bin\/kill/);

    const i = await bakery(['inspect', res.path, '--json']);
    expect(i.code, i.stderr).toBe(0);
    const insp = JSON.parse(i.stdout) as {
      units: string[];
      topLevel: string[];
      metadata: { name: string; fields: Record<string, string> }[];
      files: { path: string; type: string; mode: number; target?: string }[];
    };
    expect(insp.topLevel).toEqual(['opt', 'usr']);
    expect(insp.units).toContain('fwtest.service');
    expect(insp.metadata[0]?.fields).toMatchObject({ ID: '_any', EXTENSION_RELOAD_MANAGER: '1' });
    const file = (p: string) => insp.files.find((f) => f.path === p);
    expect(file('usr/bin/busybox')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(file('opt/my tool')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(file('usr/lib/flatwrap/fwtest/run')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(file('usr/local/fwtest/bin/busybox')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(file('usr/local/fwtest/bin/sh')).toMatchObject({ type: 'symlink', target: 'busybox' });
    expect(file('usr/local/fwtest/etc/os-release')?.type).toBe('file');
    expect(file('usr/share/fwtest/marker')?.type).toBe('file');
    expect(file('usr/lib/flatwrap/fwtest/enter')).toBeUndefined(); // bwrap needs no unshare helper

    const ex = join(work, 'ex-main');
    expect((await exec('unsquashfs', ['-q', '-no-progress', '-d', ex, res.path])).code).toBe(0);
    const unit = await readFile(join(ex, 'usr/lib/systemd/system/fwtest.service'), 'utf8');
    expect(unit).toBe(
      [
        '[Service]',
        'ExecStartPre=/usr/lib/flatwrap/fwtest/run /bin/sh -c "echo pre"',
        'ExecStart=/usr/bin/busybox sleep 1000',
        'ExecStop=-/usr/lib/flatwrap/fwtest/run /bin/cat /usr/share/fwtest/marker',
        'ExecReload=/bin/kill -HUP $MAINPID',
        '',
      ].join('\n'),
    );
    const wrapper = await readFile(join(ex, 'usr/bin/busybox'), 'utf8');
    expect(wrapper.startsWith('#!/bin/sh\n')).toBe(true);
    expect(wrapper).toMatch(/-- \/bin\/busybox "\$@"\n$/);
    // The staged root filesystem left the source alone.
    expect(await ls(rootfs)).toEqual(['bin', 'etc', 'opt', 'tmp', 'usr', 'var']);
    expect(await ls(out)).toEqual(['SHA256SUMS', 'fwtest-1.0-x86-64.raw']);
  });

  it.runIf(isRoot)(
    'runs the wrapped programs inside the root filesystem from a sysext merged by systemd-sysext',
    async () => {
      const { res } = await build('merged', ['/opt/my tool']);
      const R = join(work, 'R');
      await mkdir(join(R, 'usr/lib'), { recursive: true });
      await mkdir(join(R, 'etc/extensions'), { recursive: true });
      await mkdir(join(R, 'opt'));
      await writeFile(join(R, 'usr/lib/os-release'), 'ID=scratch\n');
      await copyFile(res.path, join(R, 'etc/extensions/fwtest.raw'));
      // Inside the merged root: the wrapper's / is the root filesystem (its marker is there, the
      // host's /usr/lib/os-release is not), /etc is the host's, arguments and exit codes pass through.
      const script = [
        'R="$1"',
        'mount -t tmpfs tmpfs /run && mount --bind "$R" "$R" && mount --make-shared "$R" || exit 1',
        'SYSTEMD_SYSEXT_HIERARCHIES=/usr:/opt systemd-sysext merge --root="$R" >&2 || exit 1',
        'export FLATWRAP_ROOT="$R"',
        `"$R"/usr/bin/fwtest-sh -c 'cat /usr/share/fwtest/marker; test -e /usr/lib/os-release && echo host-usr; test -e /etc/debian_version && echo host-etc; printf "[%s]" "$@"; echo; exit 7' sh 'a b' '' 'c"d'`,
        'echo "rc=$?"',
        '"$R"/usr/bin/busybox echo via-busybox',
        '"$R/opt/my tool" "x y" z; echo',
        'SYSTEMD_SYSEXT_HIERARCHIES=/usr:/opt systemd-sysext unmerge --root="$R" >&2',
        'umount "$R"',
      ].join('\n');
      const r = await exec('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', R], {
        cwd: '/tmp',
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(
        ['from the root filesystem', 'host-etc', '[a b][][c"d]', 'rc=7', 'via-busybox', '<x y><z>', ''].join(
          '\n',
        ),
      );
    },
  );

  it('--etc-map chroot shows the root filesystem /etc, the default the host /etc; the cwd is kept under host directories', async () => {
    const { ex: hostEx } = await build('etc-host', []);
    const { ex: chrootEx, res } = await build('etc-chroot', ['--etc-map', 'chroot', '--home-map', 'chroot']);
    expect(res.entries.map((e) => e.target)).toEqual(['/usr/bin/busybox', '/usr/bin/fwtest-sh']);
    const probe = `"$1"/usr/bin/fwtest-sh -c 'cat /etc/os-release | head -n 1; test -e /etc/debian_version && echo host-etc; pwd'`;
    const host = await sh(probe, hostEx);
    expect(host.code, host.stderr).toBe(0);
    // The host's /etc/os-release is a symlink to ../usr/lib/os-release, which is not in the root
    // filesystem: host-etc proves the mapping, the ID line must not be the root filesystem's.
    expect(host.stdout).toContain('host-etc\n/tmp\n');
    expect(host.stdout).not.toContain('flatwrap-test');
    const chroot = await sh(probe, chrootEx);
    expect(chroot.code, chroot.stderr).toBe(0);
    expect(chroot.stdout).toBe('ID=flatwrap-test\n/tmp\n');
    // Under a directory that comes from the root filesystem, the cwd becomes /.
    const inEtc = await sh(`"$1"/usr/bin/fwtest-sh -c pwd`, chrootEx, '/etc');
    expect(inEtc.stdout).toBe('/\n');
  });

  it.runIf(isRoot)(
    'by default (auto, as flatwrap.sh) root runs through unshare, other users through bwrap',
    async () => {
      const { ex, res } = await build('auto', ['--wrapper', 'auto', '--etc-map', 'chroot']);
      expect(res.wrapper).toBe('auto');
      const script = await readFile(join(ex, 'usr/bin/busybox'), 'utf8');
      expect(script).toContain('bwrap');
      expect(script).toContain('unshare');
      // as root: the unshare branch (works without bwrap on PATH)
      const r = await sh(
        `PATH=/usr/sbin:/usr/bin:/sbin:/bin; exec "$1"/usr/bin/busybox cat /etc/os-release`,
        ex,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('ID=flatwrap-test\n');
      const dflt = await bakery([
        'flatwrap',
        rootfs,
        'fwdefault',
        '/bin/busybox',
        '--out',
        join(work, 'out-default'),
        '--json',
      ]);
      expect(dflt.code, dflt.stderr).toBe(0);
      expect((JSON.parse(dflt.stdout) as Result).wrapper).toBe('auto');
    },
  );

  it.runIf(isRoot)(
    '--wrapper unshare runs as root without bwrap, keeps the PID, the cwd and the exit code, and refuses other users',
    async () => {
      const { ex, res } = await build('unshare', ['--wrapper', 'unshare', '--etc-map', 'chroot']);
      expect(res.hostNeeds).toEqual(['root', 'unshare and mount (util-linux)']);
      expect(await ls(join(ex, 'usr/lib/flatwrap/fwtest'))).toEqual(['enter', 'mnt', 'run']);
      const r = await sh(
        `echo "$$"; exec "$1"/usr/bin/fwtest-sh -c 'echo "$$"; cat /etc/os-release; pwd; test -e /etc/debian_version || echo no-host-etc; printf "[%s]" "$@"; exit 9' sh 'a b' ''`,
        ex,
      );
      expect(r.code, r.stderr).toBe(9);
      const [outer, inner, ...rest] = r.stdout.split('\n');
      expect(inner).toBe(outer); // nothing forked: systemd would track the real program
      expect(rest.join('\n')).toBe('ID=flatwrap-test\n/tmp\nno-host-etc\n[a b][]');
      const runner = await sh(`"$1"/usr/lib/flatwrap/fwtest/run /bin/busybox ls /usr/share/fwtest`, ex);
      expect(runner.stdout).toBe('marker\n');
      await exec('chmod', ['755', work]); // let nobody reach the wrapper
      const nobody = await exec('setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        join(ex, 'usr/bin/busybox'),
        'true',
      ]);
      expect(nobody.code).toBe(126);
      expect(nobody.stderr).toMatch(/need root.*--wrapper bwrap or auto/);
    },
  );

  it('refuses bad input with a clear error and exit code 2, leaving no output behind', async () => {
    const out = join(work, 'bad');
    for (const [args, msg] of [
      [[join(work, 'nope'), 'x', '/bin/busybox'], /ROOTFS .*nope: no such file or directory/],
      [[rootfs, 'x', '/usr/bin/nope'], /\/usr\/bin\/nope does not exist in/],
      [[rootfs, 'a/b', '/bin/busybox'], /NAME "a\/b" contains a '\/'/],
      [
        [rootfs, 'x', '/etc/os-release'],
        /\/etc\/os-release: paths must be absolute and land under \/usr or \/opt/,
      ],
      [[rootfs, 'x', '/bin/busybox:/etc/busybox'], /land under \/usr or \/opt/],
      [[rootfs, 'x', 'bin/busybox'], /paths must be absolute/],
      [[rootfs, 'x', '/bin/busybox', '--etc-map', 'both'], /--etc-map "both" is not one of host, chroot/],
      [
        [rootfs, 'x', '/bin/busybox', '--wrapper', 'docker'],
        /--wrapper "docker" is not one of bwrap, unshare, auto/,
      ],
      [[rootfs, 'x', '/bin/sh'], /target \/usr\/bin\/sh would replace the host's sh/],
      [[rootfs, 'x', '/bin/busybox', '/bin/busybox:/usr/bin/busybox'], /both go to \/usr\/bin\/busybox/],
      [
        [rootfs, 'x', '/bin/busybox:/usr/local/x/busybox'],
        /inside \/usr\/local\/x, which flatwrap fills itself/,
      ],
    ] as [string[], RegExp][]) {
      const r = await bakery(['flatwrap', ...args, '--out', out]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr, args.join(' ')).toMatch(/hint: /);
    }
    expect((await ls(out)).filter((f) => f !== 'SHA256SUMS')).toEqual([]);
  });
});
