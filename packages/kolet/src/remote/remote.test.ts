import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrerequisiteError } from '@mantle/core/errors';
import { koletCheckCommand, koletInstallCommand, koletProbeCommand, koletRunCommand } from './commands.js';
import { koletArtifacts, koletExecutablePath } from './executable.js';

let dir: string;
const payload = '#!/bin/sh\necho "kolet 9.9.9 build abc"\n';
const sha = createHash('sha256').update(payload).digest('hex');
const gz = gzipSync(payload, { level: 1 });
const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kolet-remote-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run a command line with a real POSIX shell, as kola does over SSH. */
function sh(
  command: string,
  input?: Buffer,
  shell: string[] = ['/bin/sh'],
  env: NodeJS.ProcessEnv = process.env,
) {
  const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', command], { input, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('koletInstallCommand (run by a real shell)', () => {
  it('installs from stdin: gunzip, verify, chmod 0755, rename', () => {
    const dest = join(dir, 'a', 'kolet');
    const r = sh(koletInstallCommand({ sha256: sha, remotePath: dest }), gz);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(statSync(dest).mode & 0o777).toBe(0o755);
    expect(existsSync(`${dest}.tmp`)).toBe(false);
    expect(sh(koletProbeCommand({ remotePath: dest, versionLine: 'kolet 9.9.9 build abc' })).code).toBe(0);
    expect(sh(koletProbeCommand({ remotePath: dest, versionLine: 'kolet 9.9.9 build other' })).code).toBe(1);
    expect(sh(koletProbeCommand({ remotePath: join(dir, 'none'), versionLine: 'x' })).code).toBe(1);
  });

  it('refuses a corrupted upload and leaves nothing behind', () => {
    const dest = join(dir, 'b', 'kolet');
    const r = sh(koletInstallCommand({ sha256: '0'.repeat(64), remotePath: dest }), gz);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kolet upload corrupted: sha256 ${sha}, expected ${'0'.repeat(64)}\n`);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.tmp`)).toBe(false);
  });

  it('installs from a copied .gz with busybox alone (the tiny image has no coreutils)', async (t) => {
    if (!busybox) t.skip();
    const bin = join(dir, 'bb');
    await mkdir(bin);
    for (const tool of ['gunzip', 'sha256sum', 'mkdir', 'chmod', 'mv', 'rm'])
      await symlink(busybox!, join(bin, tool));
    const gzPath = join(dir, 'up dir', 'kolet.gz');
    await mkdir(join(dir, 'up dir'));
    await writeFile(gzPath, gz);
    const dest = join(dir, 'c', 'kolet');
    const r = sh(
      koletInstallCommand({ sha256: sha, remotePath: dest, gzPath }),
      undefined,
      [busybox!, 'sh'],
      { PATH: bin },
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(dest, 'utf8')).toBe(payload);
    expect(existsSync(gzPath)).toBe(false);
  });

  it('rejects a malformed checksum before building a command', () => {
    expect(() => koletInstallCommand({ sha256: 'abc; rm -rf /' })).toThrow(TypeError);
  });
});

describe('command lines kola sends', () => {
  it('quotes test names, modules and marks', () => {
    expect(koletRunCommand({ test: 'basic.ssh', func: 'check' })).toBe(
      '/var/lib/kolet/kolet run basic.ssh check',
    );
    expect(
      koletRunCommand({
        test: "it's",
        func: 'f',
        modules: ['/var/lib/kolet/modules/my tests.mjs'],
        rebootMark: 'm1',
        timeoutMs: 60000,
      }),
    ).toBe(
      "/var/lib/kolet/kolet run --module '/var/lib/kolet/modules/my tests.mjs' --reboot-mark m1 --timeout 60000ms 'it'\\''s' f",
    );
    expect(koletCheckCommand({ timeoutMs: 30000 })).toBe(
      '/var/lib/kolet/kolet check - --format json --timeout 30000ms',
    );
    // template vars travel as --vars-inline JSON, quoted for the machine's shell
    const vars = { users: ['core', "it's"], cmd: '$(reboot) `x` "q"' };
    const cmd = koletCheckCommand({ remotePath: '/bin/echo', vars });
    const echoed = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' }).stdout;
    expect(echoed).toBe(`check - --format json --vars-inline ${JSON.stringify(vars)}\n`);
    // the environment of the spec (.Env) goes through env(1), quoted the same way
    const withEnv = koletCheckCommand({
      remotePath: '/bin/echo',
      env: { OS: 'debian', MSG: "it's $(x)" },
      vars: 'a: 1',
    });
    expect(withEnv).toBe(
      "env OS=debian 'MSG=it'\\''s $(x)' /bin/echo check - --format json --vars-inline 'a: 1'",
    );
    expect(
      spawnSync('/bin/sh', ['-c', withEnv.replace('/bin/echo', '/usr/bin/printenv MSG #')], {
        encoding: 'utf8',
      }).stdout,
    ).toBe("it's $(x)\n");
    expect(() => koletCheckCommand({ env: { 'BAD-NAME': 'x' } })).toThrow(/bad environment variable name/);
  });
});

describe('koletExecutablePath / koletArtifacts', () => {
  it('honours $KOLET_EXECUTABLE and reads the manifest beside it', async () => {
    const exe = join(dir, 'kolet');
    await writeFile(exe, payload, { mode: 0o755 });
    await writeFile(`${exe}.gz`, gz);
    await writeFile(`${exe}.sha256`, `${sha}  kolet\n`);
    await writeFile(
      `${exe}.json`,
      JSON.stringify({
        version: '9.9.9',
        buildId: 'abc',
        sha256: sha,
        size: payload.length,
        gzSize: gz.length,
        node: 'v20',
        platform: 'linux',
        arch: 'x64',
        bundledTests: [],
      }),
    );
    expect(koletExecutablePath({ KOLET_EXECUTABLE: exe })).toBe(exe);
    expect(koletArtifacts({ KOLET_EXECUTABLE: exe })).toMatchObject({
      executable: exe,
      gz: `${exe}.gz`,
      sha256: sha,
      versionLine: 'kolet 9.9.9 build abc',
    });
  });

  it('is a PrerequisiteError (exit 3) naming the build command when missing', () => {
    let err: unknown;
    try {
      koletExecutablePath({ KOLET_EXECUTABLE: join(dir, 'nope') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect((err as PrerequisiteError).exitCode).toBe(3);
    expect((err as PrerequisiteError).hint).toContain('pnpm --filter @mantle/kolet build');
  });
});
