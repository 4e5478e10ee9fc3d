// bwrap-pilot with real bubblewrap: an app over an unpacked root filesystem (a directory, and an
// image pulled from a real registry and unpacked by skopeo+umoci), run unprivileged — as the
// flake's runas user when root launches it, and by a normal user calling it directly.
import { cp, chown, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type Registry } from '@mantle/test-utils/registry';
import {
  DIST,
  busyboxTree,
  importBusybox,
  requireBuilt,
  run,
  sandbox,
  terminateTrappingApp,
  waitForOutput,
  type Sandbox,
} from './helpers.js';

const NOBODY = 65534;
/** bubblewrap 0.11+ lays a tmpfs overlay over the root; before (Debian 12: 0.8) it is read-only */
let overlay: boolean;
let sb: Sandbox;
let registry: Registry;

/** `pilot bwrap register` of the busybox root's shell as APP. */
const registerBbroot = (app: string, ...extra: string[]) =>
  sb.pilot(['bwrap', 'register', '--rootfs', '/srv/bbroot', '--app', app, '--target', '/bin/sh', ...extra]);

beforeAll(async () => {
  await requireBuilt();
  sb = await sandbox('bwrap');
  const v = /(\d+)\.(\d+)/.exec((await run('bwrap', ['--version'])).stdout);
  overlay = !!v && (Number(v[1]) > 0 || Number(v[2]) >= 11);
  const tree = await busyboxTree(sb.dir);
  await cp(tree, join(sb.root, 'srv', 'bbroot'), { recursive: true, verbatimSymlinks: true });
  await mkdir(join(sb.root, 'opt'), { recursive: true });
  await writeFile(join(sb.root, 'opt', 'note.txt'), 'bound from the host\n');
  const reg = await registerBbroot('/usr/bin/bwsh', '--include-path', '/opt');
  expect(reg.stderr).toBe('');
  expect(reg.code).toBe(0);
  const asNobody = await registerBbroot('/usr/bin/nbsh', '--run-as', 'nobody');
  expect(asNobody.code).toBe(0);
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  await sb?.cleanup();
});

describe('bwrap-pilot', () => {
  it('runs the app in the sandbox: exit codes, stdin, stdout and stderr kept', async () => {
    for (const code of [0, 3, 42]) {
      const r = await sb.app('/usr/bin/bwsh', ['-c', `read x; echo "got $x"; echo err >&2; exit ${code}`], {
        input: 'in\n',
      });
      expect(r).toEqual({ code, stdout: 'got in\n', stderr: 'err\n' });
    }
  });

  it('sees only the root filesystem (read-only), fresh /tmp, the included host path', async () => {
    const r = await sb.app('/usr/bin/bwsh', [
      '-c',
      'ls /; cat /opt/note.txt; echo x > /tmp/ok && echo tmp-writable; echo y > /etc/no 2>/dev/null || echo root-read-only',
    ]);
    expect(r.stdout).toContain(`bound from the host\ntmp-writable\n${overlay ? '' : 'root-read-only\n'}`);
    expect(r.stdout).not.toContain('work');
  });

  it('runas: a root launch runs the sandbox as that user', async () => {
    const r = await sb.app('/usr/bin/nbsh', ['-c', 'id -u; id -g']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${NOBODY}\n${NOBODY}\n`);
  });

  it('a normal user calling the app gets the sandbox as themself', async () => {
    const cache = join(sb.dir, 'nobody-cache');
    await mkdir(cache);
    await chown(cache, NOBODY, NOBODY);
    const r = await run(
      'setpriv',
      [
        '--reuid',
        String(NOBODY),
        '--regid',
        String(NOBODY),
        '--clear-groups',
        '--',
        join(sb.root, 'usr', 'bin', 'bwsh'),
        '-c',
        'id -u; exit 5',
      ],
      { env: { ...sb.env, MANTLE_CACHE_DIR: cache, HOME: '/nonexistent' } },
    );
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 5, stdout: `${NOBODY}\n` });
  });

  it('writes: runtime.writable paths get a fresh tmpfs on a read-only root (or the whole root is an overlay)', async () => {
    await mkdir(join(sb.root, 'srv', 'bbroot', 'var', 'data'), { recursive: true });
    await writeFile(join(sb.root, 'srv', 'bbroot', 'var', 'data', 'old'), 'from the rootfs\n');
    const reg = await registerBbroot('/usr/bin/wbsh', '--writable', '/var/data');
    expect(reg.code).toBe(0);
    const refused = await sb.pilot([
      'bwrap',
      'register',
      '--rootfs',
      '/srv/bbroot',
      '--app',
      '/usr/bin/w2',
      '--writable',
      'var/data',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--writable var/data: must be an absolute path');
    const script =
      'echo new > /var/data/f && cat /var/data/f; cat /var/data/old 2>/dev/null || echo old-hidden; { echo y > /etc/x; } 2>/dev/null && echo etc-writable || echo etc-read-only';
    const r = await sb.app('/usr/bin/wbsh', ['-c', script]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      overlay ? 'new\nfrom the rootfs\netc-writable\n' : 'new\nold-hidden\netc-read-only\n',
    );
    // nothing of it reached the root filesystem on the host
    expect((await run('ls', [join(sb.root, 'srv', 'bbroot', 'var', 'data')])).stdout).toBe('old\n');
    // a flake edited by hand: checked at launch
    const dropIn = join(sb.root, 'usr', 'share', 'flakes', 'wbsh.d', 'writable.yaml');
    await mkdir(join(dropIn, '..'), { recursive: true });
    await writeFile(dropIn, 'bwrap:\n  runtime:\n    writable: [var/data]\n');
    const bad = await sb.app('/usr/bin/wbsh', ['-c', 'true']);
    expect(bad.code).toBe(overlay ? 0 : 2);
    if (!overlay) expect(bad.stderr).toContain('bwrap.runtime.writable: var/data is not an absolute path');
    await rm(dropIn);
  });

  it('@NAME instances are tracked in .bwrapid files: one call per @NAME at a time, stale files removed, symlinks refused', async () => {
    const ids = join(sb.root, 'tmp', 'flakes', String(process.getuid!()));
    const first = sb.spawnApp('/usr/bin/bwsh', ['@one', '-c', 'echo ready; sleep 600']);
    const done = new Promise<number>((r) => first.on('exit', (code) => r(code ?? -1)));
    await waitForOutput(first, 'ready');
    expect((await stat(ids)).mode & 0o777).toBe(0o700);
    expect((await stat(join(ids, 'bwsh@one.bwrapid'))).mode & 0o777).toBe(0o600);
    const again = await sb.app('/usr/bin/bwsh', ['@one', '-c', 'echo ran']);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('the instance @one of bwsh is running');
    expect((await sb.app('/usr/bin/bwsh', ['@two', '-c', 'echo two'])).stdout).toBe('two\n');
    first.kill('SIGTERM');
    expect(await done).toBe(143);
    // a launcher killed outright leaves its file: a later call finds its owner gone
    await writeFile(join(ids, 'bwsh@old.bwrapid'), JSON.stringify({ pid: 2 ** 22 + 1, start: '1' }));
    expect((await sb.app('/usr/bin/bwsh', ['@old', '-c', 'echo old'])).stdout).toBe('old\n');
    expect((await readdir(ids)).filter((f) => f.startsWith('bwsh'))).toEqual([]);
    await symlink('/etc/passwd', join(ids, 'bwsh@evil.bwrapid'));
    const evil = await sb.app('/usr/bin/bwsh', ['@evil', '-c', 'echo ran']);
    expect(evil.code).toBe(2);
    expect(evil.stderr).toContain('is a symbolic link; refusing to use it');
    await rm(join(ids, 'bwsh@evil.bwrapid'));
  });

  it('SIGTERM to the launcher reaches the app', async () => {
    expect(await terminateTrappingApp(sb, '/usr/bin/bwsh')).toEqual({ code: 7, stdout: 'ready\ngot-TERM\n' });
  });

  it('--image: unpacks an image pulled from a registry and runs an app from it as nobody', async () => {
    await importBusybox(sb, 'localhost/pilot-bb:latest');
    const remote = `${registry.host}/pilot/bbimg:1`;
    const push = await run(
      'skopeo',
      [
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        'containers-storage:localhost/pilot-bb:latest',
        `docker://${remote}`,
      ],
      { env: sb.env },
    );
    expect(push.stderr).toBe('');
    const reg = await sb.pilot([
      'bwrap',
      'register',
      '--image',
      remote,
      '--no-tls-verify',
      '--app',
      '/usr/bin/imgsh',
      '--target',
      '/bin/sh',
      '--run-as',
      'nobody',
      '--json',
    ]);
    expect(reg.code).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({ rootfs: '/var/lib/flakes/bwrap/bbimg/rootfs' });
    const r = await sb.app('/usr/bin/imgsh', ['-c', 'id -u; ls /bin/busybox']);
    expect(r).toEqual({ code: 0, stdout: `${NOBODY}\n/bin/busybox\n`, stderr: '' });
    const removed = await sb.pilot(['bwrap', 'remove', '--name', 'bbimg']);
    expect(removed.stdout).toContain('removed /usr/bin/imgsh');
    expect((await run('ls', [join(sb.root, 'var', 'lib', 'flakes', 'bwrap')])).stdout).toBe('');
  });

  it('a missing root filesystem is exit 3; attach is refused (exit 2)', async () => {
    await sb.pilot(['bwrap', 'register', '--rootfs', '/srv/gone', '--app', '/usr/bin/gone']);
    const r = await sb.app('/usr/bin/gone', []);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('bwrap.rootfs');
    await writeFile(
      join(sb.root, 'usr', 'share', 'flakes', 'bwsh.d', 'attach.yaml'),
      'bwrap:\n  runtime:\n    attach: true\n',
    );
    const t = await sb.app('/usr/bin/bwsh', ['-c', 'true']);
    await rm(join(sb.root, 'usr', 'share', 'flakes', 'bwsh.d', 'attach.yaml'));
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('bwrap flakes have no attach mode');
  });
});

describe('bwrap-pilot include.tar and resume', () => {
  const ids = () => join(sb.root, 'tmp', 'flakes', String(process.getuid!()));

  it("include.tar lands in the instance's own layer (the shared root untouched, the layer gone after); an archive with '..' is exit 2", async () => {
    const src = join(sb.dir, 'inc');
    await mkdir(join(src, 'etc'), { recursive: true });
    await mkdir(join(src, 'usr', 'share', 'inc'), { recursive: true });
    await writeFile(join(src, 'etc', 'included.conf'), 'from the tar\n');
    await writeFile(join(src, 'usr', 'share', 'inc', 'data'), 'new dir too\n');
    expect((await run('tar', ['-C', src, '-cf', join(sb.root, 'srv', 'inc.tar'), 'etc', 'usr'])).code).toBe(
      0,
    );
    const bad = ['-C', src, '-P', '--transform', 's,^,../,', '-cf', join(sb.root, 'srv', 'bad.tar'), 'etc'];
    expect((await run('tar', bad)).code).toBe(0);
    expect((await registerBbroot('/usr/bin/tarsh', '--include-tar', '/srv/inc.tar')).code).toBe(0);
    const r = await sb.app('/usr/bin/tarsh', ['-c', 'cat /etc/included.conf /usr/share/inc/data; exit 4']);
    expect(r).toEqual({ code: 4, stdout: 'from the tar\nnew dir too\n', stderr: '' });
    expect(existsSync(join(sb.root, 'srv', 'bbroot', 'etc', 'included.conf'))).toBe(false);
    expect((await readdir(ids())).filter((f) => f.startsWith('tarsh'))).toEqual([]);
    expect((await registerBbroot('/usr/bin/badsh', '--include-tar', '/srv/bad.tar')).code).toBe(0);
    const b = await sb.app('/usr/bin/badsh', ['-c', 'echo started']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("has a '..' component");
    expect(b.stdout).toBe('');
  });

  it('resume: later calls (as the unprivileged runas user) run in the kept sandbox; signals reach the app; %remove ends it', async () => {
    expect((await registerBbroot('/usr/bin/rbsh', '--resume', '--run-as', 'nobody')).code).toBe(0);
    const first = await sb.app('/usr/bin/rbsh', ['-c', 'echo kept > /tmp/state; id -u; exit 3']);
    expect(first).toEqual({ code: 3, stdout: `${NOBODY}\n`, stderr: '' });
    const state = join(sb.root, 'tmp', 'flakes', String(NOBODY), 'rbsh.bwrap-resume');
    const keeper = JSON.parse(await readFile(state, 'utf8')) as { pid: number };
    const second = await sb.app('/usr/bin/rbsh', ['-c', 'cat /tmp/state; cat'], { input: 'stdin too\n' });
    expect(second).toEqual({ code: 0, stdout: 'kept\nstdin too\n', stderr: '' });
    expect(await terminateTrappingApp(sb, '/usr/bin/rbsh')).toEqual({ code: 7, stdout: 'ready\ngot-TERM\n' });
    const last = await sb.app('/usr/bin/rbsh', ['%remove', '-c', 'echo bye']);
    expect(last.stdout).toBe('bye\n');
    expect(existsSync(state)).toBe(false);
    expect(existsSync(`/proc/${keeper.pid}`)).toBe(false);
  });
});

describe("bwrap-pilot with flake-pilot's sandbox: flakes (bubblewrap-pilot(8))", () => {
  const flakes = (): string => join(sb.root, 'usr', 'share', 'flakes');

  it('runs a flake as `flake-ctl bubblewrap register --opt --pilot-option` writes it, unchanged', async () => {
    // the layout flake-ctl writes (its defaults, an --opt with %HOME, a %chdir pilot option),
    // pointed at the test tree: /opt is the tree's directory the caller's work dir is bound on
    const flake = (await readFile(new URL('fixtures/flake-ctl-sandbox.yaml', import.meta.url), 'utf8'))
      .replace('/var/lib/flakes/leap', '/srv/bbroot')
      .replace('/usr/bin/make', '/bin/sh')
      .replace('/usr/bin/mybuild', '/usr/bin/sbsh')
      .replace('%chdir:/work', '%chdir:/opt')
      .replace('%HOME/work /work', '%HOME/work /opt');
    await writeFile(join(flakes(), 'sbsh.yaml'), flake);
    await mkdir(join(flakes(), 'sbsh.d'));
    await symlink(join(DIST, 'bwrap-pilot.js'), join(sb.root, 'usr', 'bin', 'sbsh'));
    const home = join(sb.dir, 'home');
    await mkdir(join(home, 'work'), { recursive: true });
    const env = { HOME: home };
    const script = 'pwd; read x; echo "$x" > made.txt; echo pid $$; echo err >&2; exit 6';
    const r = await sb.app('/usr/bin/sbsh', ['-c', script], { input: 'in\n', env });
    // %chdir from pilot_options; the pid namespace of the defaults: the app is pid 2 under bwrap's init
    expect(r).toEqual({ code: 6, stdout: '/opt\npid 2\n', stderr: 'err\n' });
    expect(await readFile(join(home, 'work', 'made.txt'), 'utf8')).toBe('in\n');
    // a %chdir given at the call wins over the configured one
    const there = await sb.app('/usr/bin/sbsh', ['-c', 'pwd', '%chdir:/tmp'], { env });
    expect(there).toEqual({ code: 0, stdout: '/tmp\n', stderr: '' });
    const listed = await sb.pilot(['list', '--format', 'csv']);
    expect(listed.stdout).toContain(`sbsh,bwrap,/bin/sh,/usr/bin/sbsh,${join(flakes(), 'sbsh.yaml')}`);
  });

  it("a sandbox: flake without runtime options gets flake-pilot's default sandbox", async () => {
    await writeFile(
      join(flakes(), 'sbmin.yaml'),
      'sandbox:\n  name: /srv/bbroot\n  target_app_path: /bin/sh\n  host_app_path: /usr/bin/sbmin\n',
    );
    await symlink(join(DIST, 'bwrap-pilot.js'), join(sb.root, 'usr', 'bin', 'sbmin'));
    const r = await sb.app('/usr/bin/sbmin', [
      '-c',
      'pwd; echo $$; echo x > /tmp/t && cat /tmp/t; ls /dev/null; exit 42',
    ]);
    expect(r).toEqual({ code: 42, stdout: '/\n2\nx\n/dev/null\n', stderr: '' });
  });

  it('a sandbox: flake with a relative tree is exit 2 naming file, line and key', async () => {
    await writeFile(
      join(flakes(), 'sbrel.yaml'),
      'sandbox:\n  name: srv/bbroot\n  host_app_path: /usr/bin/sbrel\n',
    );
    await symlink(join(DIST, 'bwrap-pilot.js'), join(sb.root, 'usr', 'bin', 'sbrel'));
    const r = await sb.app('/usr/bin/sbrel', []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(flakes(), 'sbrel.yaml')}:2: sandbox.name: must be the absolute path`);
  });
});
