import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runMain } from '@mantle/core/cli';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './cli.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pilot-cli-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function pilot(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const env = { ...process.env, MANTLE_PILOT_LAUNCHER_DIR: '/opt/pilot/dist' };
  const code = await runMain(cli, {
    argv: [...argv, '--root', root],
    env,
    stdout: out,
    stderr: err,
    handleSignals: false,
  });
  return { code, stdout, stderr };
}

describe('pilot (in-process)', () => {
  it('init creates the directories and a flakes.yml with system paths', async () => {
    const r = await pilot('init');
    expect(r.code).toBe(0);
    expect(await readFile(join(root, 'etc', 'flakes.yml'), 'utf8')).toContain(
      'flakes_dir: /usr/share/flakes\n',
    );
    expect((await pilot('init')).stdout).toContain('kept');
  });

  it('registers atomically: flake, .d and the symlink to the launcher; refuses a second time without --force', async () => {
    const r = await pilot(
      'podman',
      'register',
      '--container',
      'localhost/x',
      '--app',
      '/usr/bin/x',
      '--opt=--rm',
      '--run-as',
      'root',
    );
    expect(r.stderr).toBe('');
    expect(await readlink(join(root, 'usr', 'bin', 'x'))).toBe('/opt/pilot/dist/podman-pilot.js');
    expect((await lstat(join(root, 'usr', 'share', 'flakes', 'x.d'))).isDirectory()).toBe(true);
    const yaml = await readFile(join(root, 'usr', 'share', 'flakes', 'x.yaml'), 'utf8');
    expect(yaml).toContain('  name: localhost/x\n  target_app_path: /usr/bin/x\n');
    expect(yaml).toContain('    podman:\n      - --rm\n');
    const again = await pilot('podman', 'register', '--container', 'localhost/x', '--app', '/usr/bin/x');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("a flake named 'x' is already registered");
    expect(
      (await pilot('podman', 'register', '--container', 'localhost/y', '--app', '/usr/bin/x', '--force'))
        .code,
    ).toBe(0);
  });

  it('refuses relative app paths, layers without a base, resume with attach', async () => {
    expect((await pilot('podman', 'register', '--container', 'c', '--app', 'bin/x')).stderr).toContain(
      'absolute, normalized path',
    );
    expect(
      (await pilot('podman', 'register', '--container', 'c', '--app', '/usr/bin/x', '--layer', 'l')).stderr,
    ).toContain('--layer needs --base');
    expect(
      (await pilot('podman', 'register', '--container', 'c', '--app', '/usr/bin/x', '--resume', '--attach'))
        .code,
    ).toBe(2);
    expect((await pilot('vm', 'register', '--vm', 'nope', '--app', '/usr/bin/v')).stderr).toContain(
      'pilot vm pull --name nope',
    );
    expect((await pilot('vm', 'remove', '--vm', '../etc')).code).toBe(2);
  });

  it('lists as a table, csv and json with flake-ctl keys', async () => {
    expect((await pilot('list')).stdout).toContain('No application(s) registered');
    await pilot('podman', 'register', '--container', 'img', '--app', '/usr/bin/a', '--target', '/bin/a');
    const table = (await pilot('list')).stdout.split('\n');
    expect(table[2]).toMatch(/^NAME\s+ENGINE\s+TARGET APP PATH\s+HOST APP PATH\s+CONFIG$/);
    expect(table[4]).toMatch(/^a\s+podman\s+\/bin\/a\s+\/usr\/bin\/a\s+.*a\.yaml$/);
    expect((await pilot('list', '--format', 'csv')).stdout).toBe(
      `a,podman,/bin/a,/usr/bin/a,${join(root, 'usr', 'share', 'flakes', 'a.yaml')}\n`,
    );
    expect(JSON.parse((await pilot('list', '--json')).stdout)).toEqual([
      {
        name: 'a',
        engine: 'podman',
        target: '/bin/a',
        host_app_path: '/usr/bin/a',
        config: join(root, 'usr', 'share', 'flakes', 'a.yaml'),
      },
    ]);
  });
});
