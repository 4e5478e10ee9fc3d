// podman-pilot against real podman (runc) and a real registry (docker-registry): images from a
// tarball (podman import, podman save/load) and pulled from the registry, registered with
// `pilot podman register`, launched through their symlinks.
import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type Registry } from '@mantle/test-utils/registry';
import {
  DIST,
  importBusybox,
  requireBuilt,
  run,
  sandbox,
  startService,
  terminateTrappingApp,
  waitForOutput,
  type Sandbox,
} from './helpers.js';

const IMAGE = 'localhost/pilot-bb:latest';
let sb: Sandbox;
let registry: Registry;
let remote: string;
let service: { socket: string; stop(): Promise<void> };

beforeAll(async () => {
  await requireBuilt();
  sb = await sandbox('podman');
  await importBusybox(sb, IMAGE);
  registry = await startRegistry();
  remote = `${registry.host}/pilot/bb:1`;
  const push = await run(
    'skopeo',
    ['copy', '--quiet', '--dest-tls-verify=false', `containers-storage:${IMAGE}`, `docker://${remote}`],
    {
      env: sb.env,
    },
  );
  expect(push.stderr).toBe('');
  service = await startService(sb);
});

afterAll(async () => {
  await service?.stop();
  await sb?.cleanup();
  await registry?.stop();
});

/** `pilot podman register` of the busybox image's shell as APP, without a network. */
const registerSh = (app: string, ...extra: string[]) =>
  sb.pilot([
    'podman',
    'register',
    '--container',
    IMAGE,
    '--app',
    app,
    '--target',
    '/bin/sh',
    ...extra,
    '--opt=--network none',
  ]);

describe('pilot podman (images)', () => {
  it('pulls from a registry and loads an archive (the last FILE* match when FILE is missing)', async () => {
    const pulled = await sb.pilot(['podman', 'pull', '--uri', remote, '--no-tls-verify']);
    expect(pulled.stderr).toBe(`pulling ${remote}\n`);
    expect(pulled.code).toBe(0);
    expect((await sb.podman(['image', 'exists', remote])).code).toBe(0);
    const archive = join(sb.dir, 'bb-1.2.oci.tar');
    expect((await sb.podman(['save', '--quiet', '--format', 'oci-archive', '-o', archive, IMAGE])).code).toBe(
      0,
    );
    const loaded = await sb.pilot(['podman', 'load', '--oci', join(sb.dir, 'bb-1'), '--json']);
    expect(loaded.code).toBe(0);
    expect(JSON.parse(loaded.stdout)).toMatchObject({ archive });
  });
});

describe('podman-pilot', () => {
  beforeAll(async () => {
    const reg = async (args: string[]): Promise<void> => {
      const r = await sb.pilot(['podman', 'register', ...args]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    };
    await reg(['--container', remote, '--app', '/usr/bin/bb', '--target', '/bin/sh', '--opt=--network none']);
    await reg([
      '--container',
      IMAGE,
      '--app',
      '/usr/bin/tbb',
      '--target',
      '/bin/sh',
      '--opt=--network none',
      '--opt=-ti',
    ]);
    await reg([
      '--container',
      IMAGE,
      '--app',
      '/usr/bin/ixbb',
      '--target',
      '/bin/sh',
      '--opt=--network none',
    ]);
    await reg([
      '--container',
      IMAGE,
      '--app',
      '/usr/bin/rbb',
      '--target',
      '/bin/sh',
      '--resume',
      '--opt=--network none',
    ]);
    await mkdir(join(sb.root, 'etc', 'pilot-inc'), { recursive: true });
    await writeFile(join(sb.root, 'etc', 'pilot-inc', 'from-host'), 'host file\n');
    // an absolute symlink inside the root: resolved inside it (chroot-style), never to the real /etc
    await symlink('/etc/pilot-inc', join(sb.root, 'etc', 'pilot-link'));
    await mkdir(join(sb.dir, 'inc', 'opt', 'pilot'), { recursive: true });
    await writeFile(join(sb.dir, 'inc', 'opt', 'pilot', 'hello.txt'), 'from the tar\n');
    await mkdir(join(sb.root, 'srv'), { recursive: true });
    expect(
      (await run('tar', ['-C', join(sb.dir, 'inc'), '-czf', join(sb.root, 'srv', 'inc.tgz'), 'opt'])).code,
    ).toBe(0);
    await reg([
      '--container',
      IMAGE,
      '--app',
      '/usr/bin/ibb',
      '--target',
      '/bin/sh',
      '--include-tar',
      '/srv/inc.tgz',
      '--include-path',
      '/etc/pilot-inc',
      '--include-path',
      '/etc/pilot-link',
      '--opt=--network none',
    ]);
  });

  it('provisions include tars and paths before the start', async () => {
    const r = await sb.app('/usr/bin/ibb', [
      '-c',
      'cat /opt/pilot/hello.txt /etc/pilot-inc/from-host /etc/pilot-link/from-host',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('from the tar\nhost file\nhost file\n');
  });

  it('delta container: base, then each layer, then the app image laid over it; host dependencies from /removed', async () => {
    // two file-only images (no shell of their own): only a base makes them runnable
    const image = async (name: string, files: Record<string, string>): Promise<string> => {
      const tree = join(sb.dir, `tree-${name}`);
      for (const [path, text] of Object.entries(files)) {
        await mkdir(join(tree, path, '..'), { recursive: true });
        await writeFile(join(tree, path), text);
      }
      const tar = join(sb.dir, `${name}.tar`);
      expect((await run('tar', ['-C', tree, '-cf', tar, '.'])).code).toBe(0);
      const ref = `localhost/pilot-${name}:1`;
      const imported = await sb.podman(['import', '--quiet', tar, ref]);
      expect(imported.stderr).toBe('');
      return ref;
    };
    const layer = await image('layer', { 'opt/layer.txt': 'layer file\n', 'opt/order.txt': 'layer\n' });
    const app = await image('delta', {
      'opt/app.txt': 'app file\n',
      'opt/order.txt': 'app\n',
      // flake-pilot's list of host files a delta image expects (a missing one is skipped)
      removed: '/etc/pilot-inc/from-host\n/etc/pilot-not-there\n',
    });
    const reg = await sb.pilot([
      'podman',
      'register',
      '--container',
      app,
      '--base',
      IMAGE,
      '--layer',
      layer,
      '--check-host-dependencies',
      '--app',
      '/usr/bin/dbb',
      '--target',
      '/bin/sh',
      '--opt=--network none',
    ]);
    expect(reg.stderr).toBe('');
    expect(reg.code).toBe(0);
    const r = await sb.app('/usr/bin/dbb', [
      '-c',
      'cat /opt/layer.txt /opt/app.txt /opt/order.txt /etc/pilot-inc/from-host; test -e /etc/pilot-not-there || echo skipped',
    ]);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: 'layer file\napp file\napp\nhost file\nskipped\n' });
    // the layers were exported through throw-away containers: none of them is left
    expect((await sb.podman(['ps', '--all', '--quiet', '--filter', `ancestor=${layer}`])).stdout).toBe('');
  });

  it('%ignore_sync_error: a missing include path stops the start, unless the call says to go on', async () => {
    const reg = await registerSh('/usr/bin/mbb', '--include-path', '/etc/pilot-missing');
    expect(reg.code).toBe(0);
    const refused = await sb.app('/usr/bin/mbb', ['-c', 'echo ran']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('include.path');
    expect(refused.stderr).toContain('/etc/pilot-missing');
    expect(refused.stderr).toContain('%ignore_sync_error');
    const ignored = await sb.app('/usr/bin/mbb', ['%ignore_sync_error', '-c', 'echo ran']);
    expect(ignored.stdout).toBe('ran\n');
    expect(ignored.code).toBe(0);
    expect(ignored.stderr).toContain('/etc/pilot-missing does not exist');
    expect(
      (await sb.podman(['ps', '--all', '--quiet', '--filter', 'label=io.mantle.pilot.flake=mbb'])).stdout,
    ).toBe('');
  });

  it('resume: the second call execs into the same container, exit codes kept', async () => {
    const first = await sb.app('/usr/bin/rbb', ['-c', 'hostname; exit 5']);
    expect(first.code).toBe(5);
    const second = await sb.app('/usr/bin/rbb', ['-c', 'hostname; echo $MANTLE_PILOT_SESSION | wc -c']);
    expect(second.code).toBe(0);
    expect(second.stdout.split('\n')[0]).toBe(first.stdout.trim());
    const cid = (
      await readFile(join(sb.root, 'tmp', 'flakes', String(process.getuid!()), 'rbb.cid'), 'utf8')
    ).trim();
    expect(cid.startsWith(first.stdout.trim())).toBe(true);
    expect(
      (await sb.podman(['ps', '--quiet', '--filter', 'label=io.mantle.pilot.flake=rbb'])).stdout
        .trim()
        .split('\n'),
    ).toHaveLength(1);
  });

  it('resume: a call into the running container gets stdin, and SIGTERM to the launcher reaches the app', async () => {
    const piped = await sb.app('/usr/bin/rbb', ['-c', 'read x; echo "got $x"; echo err >&2; exit 42'], {
      input: 'in\n',
    });
    expect(piped).toEqual({ code: 42, stdout: 'got in\n', stderr: 'err\n' });
    expect(await terminateTrappingApp(sb, '/usr/bin/rbb')).toEqual({ code: 7, stdout: 'ready\ngot-TERM\n' });
  });

  it('@NAME instances are separate containers; %remove removes one', async () => {
    const a = await sb.app('/usr/bin/rbb', ['@a', '-c', 'hostname']);
    const b = await sb.app('/usr/bin/rbb', ['-c', 'hostname', '@b']);
    expect(a.code).toBe(0);
    expect(a.stdout).not.toBe(b.stdout);
    expect((await sb.app('/usr/bin/rbb', ['@a', '-c', 'hostname'])).stdout).toBe(a.stdout);
    const ids = join(sb.root, 'tmp', 'flakes', String(process.getuid!()));
    expect((await readdir(ids)).filter((f) => f.endsWith('.cid')).sort()).toEqual([
      'rbb.cid',
      'rbb@a.cid',
      'rbb@b.cid',
    ]);
    await sb.app('/usr/bin/rbb', ['@b', '%remove', '-c', 'true']);
    expect((await readdir(ids)).filter((f) => f.endsWith('.cid')).sort()).toEqual(['rbb.cid', 'rbb@a.cid']);
  });

  it('cleans a stale id file: the container was removed behind its back', async () => {
    const ids = join(sb.root, 'tmp', 'flakes', String(process.getuid!()));
    const cid = (await readFile(join(ids, 'rbb@a.cid'), 'utf8')).trim();
    expect((await sb.podman(['rm', '--force', '--time', '0', cid])).code).toBe(0);
    const r = await sb.app('/usr/bin/rbb', ['@a', '-c', 'hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).not.toBe(cid.slice(0, 12));
    expect((await readFile(join(ids, 'rbb@a.cid'), 'utf8')).trim()).not.toBe(cid);
  });

  it('attach: the container is kept and started again with the command it was created with', async () => {
    const reg = await registerSh('/usr/bin/abb', '--attach');
    expect(reg.code).toBe(0);
    const first = await sb.app('/usr/bin/abb', ['-c', 'echo first-run; exit 6']);
    expect(first).toEqual({ code: 6, stdout: 'first-run\n', stderr: '' });
    const ids = join(sb.root, 'tmp', 'flakes', String(process.getuid!()));
    const cid = (await readFile(join(ids, 'abb.cid'), 'utf8')).trim();
    const again = await sb.app('/usr/bin/abb', ['-c', 'echo other-args']);
    expect(again).toEqual({ code: 6, stdout: 'first-run\n', stderr: '' });
    expect((await readFile(join(ids, 'abb.cid'), 'utf8')).trim()).toBe(cid);
    await sb.app('/usr/bin/abb', ['%remove']);
    expect((await readdir(ids)).includes('abb.cid')).toBe(false);
    expect((await sb.podman(['container', 'exists', cid])).code).toBe(1);
  });

  it('runs a flake written the way flake-pilot writes it (flake-ctl template: -ti, runas root) unchanged', async () => {
    // flake-ctl's template as it writes it, pointed at the test image
    const flake = (await readFile(new URL('fixtures/flake-ctl-container.yaml', import.meta.url), 'utf8'))
      .replace('amazon/aws-cli', IMAGE)
      .replace('target_app_path: /', 'target_app_path: /bin/sh')
      .replace('/usr/bin/aws', '/usr/bin/docbb')
      .concat('      - "--network none"\n');
    await writeFile(join(sb.root, 'usr', 'share', 'flakes', 'docbb.yaml'), flake);
    await mkdir(join(sb.root, 'usr', 'share', 'flakes', 'docbb.d'));
    await symlink(join(DIST, 'podman-pilot.js'), join(sb.root, 'usr', 'bin', 'docbb'));
    const r = await sb.app('/usr/bin/docbb', ['-c', 'echo piped-not-a-tty; exit 9'], { input: '' });
    expect(r).toEqual({ code: 9, stdout: 'piped-not-a-tty\n', stderr: '' });
    const listed = await sb.pilot(['list', '--format', 'csv']);
    expect(listed.stdout).toContain(
      `docbb,podman,/bin/sh,/usr/bin/docbb,${join(sb.root, 'usr', 'share', 'flakes', 'docbb.yaml')}`,
    );
  });
});

/**
 * A plain call's container and id file are gone after it. The API path hands the removal of an
 * ended container to the service as the launcher exits: it is polled for (each podman call takes
 * a while; no timers) until it is done.
 */
async function expectNothingLeft(flake: string): Promise<void> {
  const left = async (): Promise<string> =>
    (await sb.podman(['ps', '--all', '--quiet', '--filter', `label=io.mantle.pilot.flake=${flake}`])).stdout;
  let ids = await left();
  for (let i = 0; i < 60 && ids !== ''; i++) ids = await left();
  expect(ids).toBe('');
  expect(
    (await readdir(join(sb.root, 'tmp', 'flakes', String(process.getuid!())))).filter((f) =>
      f.startsWith(`${flake}@`),
    ),
  ).toEqual([]);
}

/**
 * Plain calls, through both paths: the podman CLI (MANTLE_PILOT_PODMAN_API=off) and podman's
 * REST API (the default; a `podman system service` this file starts on its own socket, CONTAINER_HOST).
 * Calls that want a terminal use the CLI on both; the API path shows in the container's
 * CreateCommand, which only the CLI records.
 */
describe.each(['cli', 'api'] as const)('podman-pilot plain calls (%s)', (path) => {
  beforeAll(() => {
    // the API path is the default when a service listens
    if (path === 'cli') sb.env.MANTLE_PILOT_PODMAN_API = 'off';
    if (path === 'api') sb.env.CONTAINER_HOST = `unix://${service.socket}`;
  });
  afterAll(() => {
    delete sb.env.MANTLE_PILOT_PODMAN_API;
    delete sb.env.CONTAINER_HOST;
  });

  it('passes the exit codes 0, 3 and 42 through', async () => {
    for (const code of [0, 3, 42]) {
      const r = await sb.app('/usr/bin/bb', ['-c', `echo out; echo err >&2; exit ${code}`]);
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code,
        stdout: 'out\n',
        stderr: 'err\n',
      });
    }
  });

  it('pipes stdin through and leaves no container or id file behind', async () => {
    const r = await sb.app('/usr/bin/bb', ['-c', 'read a; read b; echo "got $a+$b"'], {
      input: 'one\ntwo\n',
    });
    expect(r.stdout).toBe('got one+two\n');
    await expectNothingLeft('bb');
  });

  it('passes a terminal through: with a tty the app gets one, piped it gets plain streams', async () => {
    // script(1) gives the launcher a pseudo-terminal as stdin/stdout/stderr; its stdin stays
    // open until the app ended (an early EOF on a terminal would end podman's attach)
    const cmd = `${join(sb.root, 'usr', 'bin', 'tbb')} -c 'test -t 0 && test -t 1 && echo on-a-tty'`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: sb.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    child.stdin.destroy();
    expect(code).toBe(0);
    expect(out).toContain('on-a-tty');
    const piped = await sb.app('/usr/bin/tbb', ['-c', 'test -t 0 || test -t 1 || echo no-tty']);
    expect(piped.stdout).toBe('no-tty\n');
  });

  it('%interactive: a terminal for the app even when called through pipes', async () => {
    const piped = await sb.app('/usr/bin/ixbb', ['-c', 'test -t 1 && echo tty || echo no-tty']);
    expect(piped.stdout).toBe('no-tty\n');
    const forced = await sb.app('/usr/bin/ixbb', [
      '%interactive',
      '-c',
      'test -t 1 && echo tty || echo no-tty',
    ]);
    expect(forced.code).toBe(0);
    // through a terminal, the line ends as a terminal writes it
    expect(forced.stdout.replace(/\r\n/g, '\n')).toBe('tty\n');
  });

  it('SIGTERM to the launcher reaches the app', async () => {
    expect(await terminateTrappingApp(sb, '/usr/bin/bb')).toEqual({ code: 7, stdout: 'ready\ngot-TERM\n' });
    // the plain-mode container and its id file went with it
    await expectNothingLeft('bb');
  });

  it('SIGTERM stops an app that does not handle it (exit 143); an @NAME has its cid file while it runs, a second call of it is refused', async () => {
    const child = sb.spawnApp('/usr/bin/ixbb', ['@held', '-c', 'echo ready; sleep 600; echo not-stopped']);
    const done = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
    await waitForOutput(child, 'ready');
    const label = ['--filter', 'label=io.mantle.pilot.flake=ixbb@held', '--no-trunc', '--format', '{{.ID}}'];
    const id = (await sb.podman(['ps', ...label])).stdout.trim();
    const cidFile = join(sb.root, 'tmp', 'flakes', String(process.getuid!()), 'ixbb@held.cid');
    expect((await readFile(cidFile, 'utf8')).trim()).toBe(id);
    // which path ran it: only the CLI records a CreateCommand
    const how = await sb.podman(['inspect', '--format', '{{.Config.CreateCommand}}', id]);
    expect(how.stdout.trim() === '[]' ? 'api' : 'cli').toBe(path);
    const second = await sb.app('/usr/bin/ixbb', ['@held', '-c', 'echo ran']);
    expect(second).toMatchObject({ code: 1, stdout: '' });
    expect(second.stderr).toContain('the instance @held of ixbb is running');
    expect((await sb.podman(['ps', '--all', ...label])).stdout.trim()).toBe(id);
    expect((await readFile(cidFile, 'utf8')).trim()).toBe(id);
    child.kill('SIGTERM');
    expect(await done).toBe(143);
    await expectNothingLeft('ixbb');
  });

  it('a flake that names its container: back-to-back calls reuse the name', async () => {
    // the API path waits for the removal only here: the next call's create needs the name free
    const app = `/usr/bin/named-${path}`;
    expect((await registerSh(app, `--opt=--name pilot-named-${path}`)).code).toBe(0);
    for (const code of [0, 5]) expect((await sb.app(app, ['-c', `exit ${code}`])).code).toBe(code);
    expect((await sb.podman(['container', 'exists', `pilot-named-${path}`])).code).toBe(1);
  });

  it('an image that does not exist: exit 3 with a clear error, nothing left behind', async () => {
    const app = `/usr/bin/nope-${path}`;
    const reg = await sb.pilot([
      'podman',
      'register',
      '--container',
      `${registry.host}/pilot/nope:1`,
      '--app',
      app,
    ]);
    expect(reg.code).toBe(0);
    const r = await sb.app(app, []);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/image .*pilot\/nope:1 is not in local storage and could not be pulled/);
    expect(
      (await sb.podman(['ps', '--all', '--quiet', '--filter', `label=io.mantle.pilot.flake=nope-${path}`]))
        .stdout,
    ).toBe('');
  });
});

describe('podman-pilot bad inputs', () => {
  const flakes = (): string => join(sb.root, 'usr', 'share', 'flakes');

  it('unknown keys: a warning naming file, line and key; an error with MANTLE_PILOT_STRICT=1', async () => {
    await writeFile(join(flakes(), 'bb.d', '50-typo.yaml'), 'container:\n  runtime:\n    resum: true\n');
    const r = await sb.app('/usr/bin/bb', ['-c', 'exit 0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `bb: warning: ${join(flakes(), 'bb.d', '50-typo.yaml')}:3: container.runtime.resum: unknown key`,
    );
    expect(r.stderr).toContain('did you mean resume?');
    const strict = await sb.app('/usr/bin/bb', ['-c', 'exit 0'], { env: { MANTLE_PILOT_STRICT: '1' } });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/50-typo\.yaml:3: container\.runtime\.resum: unknown key/);
  });

  it('a wrong type: exit 2 naming file, line and key', async () => {
    await writeFile(join(flakes(), 'bb.d', '50-typo.yaml'), 'container:\n  runtime:\n    resume: "yes"\n');
    const r = await sb.app('/usr/bin/bb', ['-c', 'exit 0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(flakes(), 'bb.d', '50-typo.yaml')}:3: container.runtime.resume: expected true or false, got the string "yes"`,
    );
    await writeFile(join(flakes(), 'bb.d', '50-typo.yaml'), '# fixed\n');
    expect((await sb.app('/usr/bin/bb', ['-c', 'exit 4'])).code).toBe(4);
  });

  it('a symlink with no flake: exit 2', async () => {
    await symlink(join(DIST, 'podman-pilot.js'), join(sb.root, 'usr', 'bin', 'ghost'));
    const r = await sb.app('/usr/bin/ghost', []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no flake is registered for 'ghost'");
  });

  it('a world-writable flake or flakes directory: refused, exit 2', async () => {
    await chmod(join(flakes(), 'bb.yaml'), 0o666);
    const r = await sb.app('/usr/bin/bb', ['-c', 'exit 0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to launch: .*bb\.yaml is writable by everyone/);
    await chmod(join(flakes(), 'bb.yaml'), 0o644);
    await chmod(flakes(), 0o777);
    expect((await sb.app('/usr/bin/bb', ['-c', 'exit 0'])).stderr).toMatch(/flakes is writable by everyone/);
    await chmod(flakes(), 0o755);
    expect((await sb.app('/usr/bin/bb', ['-c', 'exit 0'])).code).toBe(0);
  });

  it('@names with bad characters: exit 2', async () => {
    for (const bad of ['@../x', '@a b', `@${'x'.repeat(70)}`]) {
      const r = await sb.app('/usr/bin/bb', [bad, '-c', 'exit 0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is not allowed');
    }
  });

  it('a cid file that is a symlink: refused, exit 2, the link left alone', async () => {
    const ids = join(sb.root, 'tmp', 'flakes', String(process.getuid!()));
    await symlink('/etc/passwd', join(ids, 'rbb@evil.cid'));
    const r = await sb.app('/usr/bin/rbb', ['@evil', '-c', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a symbolic link; refusing to use it');
    expect((await lstat(join(ids, 'rbb@evil.cid'))).isSymbolicLink()).toBe(true);
  });
});

describe('pilot list, show, remove', () => {
  it('lists as json and csv, shows the merged flake, removes an app', async () => {
    const json = JSON.parse((await sb.pilot(['list', '--json'])).stdout) as {
      name: string;
      engine: string;
    }[];
    expect(json.map((f) => f.name)).toEqual(expect.arrayContaining(['bb', 'ibb', 'rbb']));
    const show = await sb.pilot(['show', '/usr/bin/rbb', '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({
      name: 'rbb',
      engine: 'podman',
      link: { ok: true },
      flake: { container: { runtime: { resume: true } } },
    });
    const removed = await sb.pilot(['podman', 'remove', '--app', '/usr/bin/ibb']);
    expect(removed.code).toBe(0);
    await expect(lstat(join(sb.root, 'usr', 'bin', 'ibb'))).rejects.toThrow();
    await expect(lstat(join(sb.root, 'usr', 'share', 'flakes', 'ibb.yaml'))).rejects.toThrow();
    const again = await sb.pilot(['podman', 'remove', '--app', '/usr/bin/ibb']);
    expect(again.code).toBe(2);
  });
});
