import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapArgs, enterScript, mountPlan, wrapperScript, type Layout } from './wrapper-script.js';

const base: Layout = {
  name: 'demo',
  wrapper: 'bwrap',
  maps: { etc: 'host', var: 'host', home: 'host' },
  top: [
    { name: 'usr', type: 'dir' },
    { name: 'bin', type: 'symlink', target: 'usr/bin' },
    { name: 'etc', type: 'dir' },
    { name: 'var', type: 'dir' },
    { name: 'proc', type: 'dir' },
    { name: 'opt', type: 'dir' },
    { name: '.dockerenv', type: 'file' },
  ],
  varTmp: true,
};

/** `sh -n`: the script parses. */
function parses(script: string): boolean {
  return spawnSync('sh', ['-n'], { input: script }).status === 0;
}

describe('mountPlan', () => {
  it('takes /dev /proc /sys /run /tmp and, by default, /etc /var /home from the host', () => {
    const p = mountPlan(base);
    expect(p.host).toEqual(['/dev', '/etc', '/home', '/proc', '/run', '/sys', '/tmp', '/var']);
    expect(p.chroot.map((e) => e.name)).toEqual(['.dockerenv', 'bin', 'opt', 'usr']);
  });

  it('takes /etc, /var, /home from the chroot when asked, with the host /var/tmp bound after /var', () => {
    const p = mountPlan({ ...base, maps: { etc: 'chroot', var: 'chroot', home: 'chroot' } });
    expect(p.host).toEqual(['/dev', '/proc', '/run', '/sys', '/tmp', '/var/tmp']);
    expect(p.chroot.map((e) => e.name)).toEqual(['.dockerenv', 'bin', 'etc', 'opt', 'usr', 'var']);
    expect(
      mountPlan({ ...base, varTmp: false, maps: { etc: 'host', var: 'chroot', home: 'host' } }).host,
    ).not.toContain('/var/tmp');
  });
});

describe('wrapperScript', () => {
  it('bwrap: binds the root filesystem entries, then the host directories, and execs the program with "$@"', () => {
    const s = wrapperScript(base, { path: '/usr/sbin/nginx' }, 'runs /usr/sbin/nginx');
    expect(s.startsWith('#!/bin/sh\n')).toBe(true);
    expect(parses(s)).toBe(true);
    expect(s).toContain('root="${FLATWRAP_ROOT-}"/usr/local/demo\n');
    const args = bwrapArgs(base);
    expect(args.slice(0, 4)).toEqual([
      '--bind "$root"/.dockerenv /.dockerenv',
      '--symlink usr/bin /bin',
      '--bind "$root"/opt /opt',
      '--bind "$root"/usr /usr',
    ]);
    expect(args).toContain('--dev-bind /dev /dev');
    expect(args).toContain('--bind /etc /etc');
    expect(s).toMatch(/--chdir "\$cwd" \\\n {2}-- \/usr\/sbin\/nginx "\$@"\n$/);
    expect(s).toMatch(/^exec bwrap /m);
    expect(s).toContain('command -v bwrap');
    expect(s).not.toContain('exec unshare');
  });

  it('quotes paths with spaces and quotes', () => {
    const layout: Layout = { ...base, top: [...base.top, { name: "my dir's", type: 'dir' }] };
    const s = wrapperScript(layout, { path: "/opt/my tool's" }, 'runs it');
    expect(parses(s)).toBe(true);
    expect(s).toContain(`--bind "$root"/'my dir'\\''s' '/my dir'\\''s'`);
    expect(s).toContain(`-- '/opt/my tool'\\''s' "$@"`);
  });

  it('keeps the working directory only under directories mapped from the host', () => {
    const s = wrapperScript(base, { path: '/usr/bin/x' }, 'x');
    expect(s).toContain('/home | /home/* |');
    const chroot = wrapperScript(
      { ...base, maps: { etc: 'host', var: 'host', home: 'chroot' } },
      { path: '/usr/bin/x' },
      'x',
    );
    expect(chroot).not.toContain('/home | /home/*');
  });

  it('unshare: refuses non-root and hands over to the enter helper in a private mount namespace', () => {
    const s = wrapperScript({ ...base, wrapper: 'unshare' }, { path: '/usr/bin/x' }, 'x');
    expect(parses(s)).toBe(true);
    expect(s).toContain('if [ "$(id -u)" != 0 ]; then');
    expect(s).toContain(
      'exec unshare --mount --propagation private -- "${FLATWRAP_ROOT-}"/usr/lib/flatwrap/demo/enter "$cwd" /usr/bin/x "$@"',
    );
    expect(s).not.toContain('bwrap --');
  });

  it('auto: unshare as root, bwrap otherwise', () => {
    const s = wrapperScript({ ...base, wrapper: 'auto' }, { path: '/usr/bin/x' }, 'x');
    expect(parses(s)).toBe(true);
    expect(s.indexOf('exec unshare')).toBeLessThan(s.indexOf('exec bwrap'));
  });

  it('the runner takes the program from its arguments and insists on one', () => {
    const s = wrapperScript(base, { fromArgs: true }, 'runs its arguments');
    expect(parses(s)).toBe(true);
    expect(s).toContain('if [ $# -eq 0 ]; then');
    expect(s).toMatch(/-- "\$@"\n$/);
  });

  it('enter: mounts a tmpfs, binds everything in, then unshare --root keeps the directory', () => {
    const s = enterScript({ ...base, wrapper: 'unshare' });
    expect(parses(s)).toBe(true);
    const lines = s.split('\n');
    expect(lines).toContain('set -e');
    expect(lines).toContain('mount -t tmpfs -o mode=0755 flatwrap "$mnt"');
    expect(lines).toContain('ln -s usr/bin "$mnt"/bin');
    expect(lines).toContain('touch "$mnt"/.dockerenv');
    expect(lines).toContain('mount --rbind "$root"/usr "$mnt"/usr');
    expect(lines).toContain('mount --rbind /var "$mnt"/var');
    expect(lines.at(-2)).toBe('exec unshare --root="$mnt" --wd="$cwd" -- "$@"');
  });
});

// The generated bwrap wrapper, run for real with bubblewrap against a tiny root filesystem holding
// a static busybox (the host's sh would need its libraries).
describe('wrapperScript with real bwrap', () => {
  let dir: string;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => spawnSync(p, ['true']).status === 0);
  const bwrap = spawnSync('bwrap', ['--version']).status === 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bakery-wrapper-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(!busybox || !bwrap)(
    'runs the program inside the root filesystem with arguments intact and its exit code',
    async () => {
      const root = join(dir, 'usr/local/demo');
      await mkdir(join(root, 'usr/bin'), { recursive: true });
      await mkdir(join(root, "my dir's"), { recursive: true });
      await copyFile(busybox!, join(root, 'usr/bin/busybox'));
      await chmod(join(root, 'usr/bin/busybox'), 0o755);
      await symlink('busybox', join(root, 'usr/bin/sh'));
      await symlink('usr/bin', join(root, 'bin'));
      await writeFile(join(root, "my dir's", 'marker'), 'inside\n');
      const layout: Layout = {
        ...base,
        top: [
          { name: 'usr', type: 'dir' },
          { name: 'bin', type: 'symlink', target: 'usr/bin' },
          { name: "my dir's", type: 'dir' },
        ],
      };
      const wrapper = join(dir, 'wrapper');
      await writeFile(wrapper, wrapperScript(layout, { path: '/bin/sh' }, 'sh'), { mode: 0o755 });
      const r = spawnSync(
        wrapper,
        ['-c', `cat "/my dir's/marker"; printf "[%s]" "$@"; exit 7`, 'sh', 'a b', "c'd", ''],
        {
          env: { ...process.env, FLATWRAP_ROOT: dir },
          cwd: '/tmp',
          encoding: 'utf8',
        },
      );
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe("inside\n[a b][c'd][]");
      expect(r.status).toBe(7);
    },
  );
});
