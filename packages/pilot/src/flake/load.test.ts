import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlakeFileError } from '../errors.js';
import { loadFlake } from './load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pilot-load-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// flake-ctl's container template as `flake-ctl podman register` writes it (flake-pilot docs)
const FLAKE_CTL_YAML = readFileSync(
  new URL('../../test/fixtures/flake-ctl-container.yaml', import.meta.url),
  'utf8',
);

async function problems(name: string): Promise<string[]> {
  try {
    await loadFlake(dir, name);
  } catch (err) {
    if (err instanceof FlakeFileError)
      return err.problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.key}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('loadFlake', () => {
  it("reads flake-ctl's own output unchanged", async () => {
    await writeFile(join(dir, 'aws.yaml'), FLAKE_CTL_YAML);
    const f = await loadFlake(dir, 'aws');
    expect(f.flake.engine).toBe('podman');
    expect(f.warnings).toEqual([]);
    if (f.flake.engine !== 'podman') throw new Error('engine');
    expect(f.flake.data.container.runtime?.podman).toEqual(['-ti']);
  });

  it("reads flake-ctl's sandbox: flakes (bubblewrap-pilot) as bwrap flakes; a drop-in adds a bwrap option", async () => {
    const yaml = readFileSync(new URL('../../test/fixtures/flake-ctl-sandbox.yaml', import.meta.url), 'utf8');
    await writeFile(join(dir, 'mybuild.yaml'), yaml);
    await mkdir(join(dir, 'mybuild.d'));
    await writeFile(join(dir, 'mybuild.d', 'net.yaml'), 'sandbox:\n  runtime:\n    runas: ~\n');
    const f = await loadFlake(dir, 'mybuild');
    expect(f.warnings).toEqual([]);
    if (f.flake.engine !== 'bwrap') throw new Error('engine');
    expect(f.flake.data.bwrap).toMatchObject({
      name: '/var/lib/flakes/leap',
      rootfs: '/var/lib/flakes/leap',
      target_app_path: '/usr/bin/make',
      host_app_path: '/usr/bin/mybuild',
      runtime: { runas: null, pilot_options: ['%chdir:/work'] },
    });
    expect(f.flake.data.bwrap.runtime?.bubblewrap?.at(-1)).toBe('--bind %HOME/work /work');
    await writeFile(join(dir, 'min.yaml'), 'sandbox:\n  name: /srv/root\n  host_app_path: /usr/bin/min\n');
    const min = await loadFlake(dir, 'min');
    if (min.flake.engine !== 'bwrap') throw new Error('engine');
    expect(min.flake.data.bwrap.runtime?.bubblewrap).toEqual([
      '--dev /dev',
      '--proc /proc',
      '--tmpfs /tmp',
      '--unshare-pid',
      '--die-with-parent',
    ]);
  });

  it('merges <app>.d/*.yaml in sorted order, setting by setting; lists replace', async () => {
    await writeFile(join(dir, 'aws.yaml'), FLAKE_CTL_YAML);
    await mkdir(join(dir, 'aws.d'));
    await writeFile(
      join(dir, 'aws.d', '20-later.yaml'),
      'container:\n  runtime:\n    podman:\n      - --network none\n',
    );
    await writeFile(
      join(dir, 'aws.d', '10-first.yaml'),
      'container:\n  runtime:\n    resume: true\n    podman: [--rm]\n  target_app_path: /usr/bin/aws\n',
    );
    await writeFile(join(dir, 'aws.d', 'README'), 'not yaml');
    const f = await loadFlake(dir, 'aws');
    if (f.flake.engine !== 'podman') throw new Error('engine');
    const c = f.flake.data.container;
    expect(c.name).toBe('amazon/aws-cli');
    expect(c.runtime?.resume).toBe(true);
    expect(c.runtime?.podman).toEqual(['--network none']);
    expect(f.files.map((x) => x.slice(dir.length + 1))).toEqual([
      'aws.yaml',
      'aws.d/10-first.yaml',
      'aws.d/20-later.yaml',
    ]);
    expect(f.warnings.map((w) => w.message)).toEqual([expect.stringContaining('not a .yaml file')]);
  });

  it('names file, line and key of a wrong type, also when a drop-in brought it', async () => {
    await writeFile(join(dir, 'a.yaml'), FLAKE_CTL_YAML);
    await mkdir(join(dir, 'a.d'));
    await writeFile(join(dir, 'a.d', 'x.yaml'), '# comment\ncontainer:\n  runtime:\n    resume: yes\n');
    expect(await problems('a')).toEqual([
      'a.d/x.yaml:4: container.runtime.resume: expected true or false, got the string "yes"',
    ]);
  });

  it('names a missing required key at its section', async () => {
    await writeFile(join(dir, 'b.yaml'), 'container:\n  host_app_path: /usr/bin/b\n');
    expect(await problems('b')).toEqual(['b.yaml:1: container.name: is required but missing']);
  });

  it('reports unknown keys with line and a suggestion, as warnings (errors in strict mode)', async () => {
    await writeFile(join(dir, 'c.yaml'), FLAKE_CTL_YAML.replace('    resume: false', '    resum: true'));
    const f = await loadFlake(dir, 'c');
    expect(f.warnings).toEqual([
      expect.objectContaining({
        line: 13,
        key: 'container.runtime.resum',
        message: 'unknown key, ignored as flake-pilot ignores it (did you mean resume?)',
      }),
    ]);
    await expect(loadFlake(dir, 'c', { strict: true })).rejects.toThrow(
      /c\.yaml:13: container\.runtime\.resum: unknown key/,
    );
  });

  it('wants exactly one engine section', async () => {
    await writeFile(join(dir, 'd.yaml'), 'include: {tar: ~}\n');
    expect((await problems('d'))[0]).toMatch(/no engine section/);
    await writeFile(join(dir, 'e.yaml'), `${FLAKE_CTL_YAML}bwrap:\n  name: x\n`);
    expect((await problems('e'))[0]).toMatch(/exactly one engine section/);
  });

  it('reports YAML syntax errors with their line', async () => {
    await writeFile(join(dir, 'f.yaml'), 'container:\n  name: [unclosed\n');
    expect((await problems('f'))[0]).toMatch(/^f\.yaml:\d+: \(syntax\): /);
  });

  it('refuses a flake others may write when a caller is given', async () => {
    const { chmod } = await import('node:fs/promises');
    await writeFile(join(dir, 'g.yaml'), FLAKE_CTL_YAML);
    await chmod(join(dir, 'g.yaml'), 0o666);
    await expect(
      loadFlake(dir, 'g', { caller: { uid: process.getuid!(), gid: process.getgid!() } }),
    ).rejects.toMatchObject({
      code: 'FLAKE_UNTRUSTED',
    });
    await expect(
      loadFlake(dir, 'g', { caller: { uid: process.getuid!(), gid: process.getgid!() } }),
    ).rejects.toThrow(/writable by everyone/);
  });
});
