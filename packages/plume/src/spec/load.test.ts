import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlume } from '../../test/helpers/run.js';
import { builtinSpec, loadSpec, parseSpecText } from './load.js';
import { resolveRelease } from './resolve.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plume-spec-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const GOOD = `channels:
  test:
    boards: [amd64-usr, arm64-usr]
    source: file:///srv/builds/{arch}/{version}/
    verifyKey: keys/release.asc
    azure:
      blobs: azure://devstoreaccount1/images
    storage:
      - url: s3://releases/{channel}/
        paths: ['{board}/{version}', '{board}/current']
`;

describe('release spec', () => {
  it('the built-in spec validates and knows Flatcar channels', () => {
    const { spec, source } = builtinSpec();
    expect(source).toBe('built-in');
    expect(Object.keys(spec.channels)).toEqual(['alpha', 'beta', 'stable', 'lts', 'developer']);
    expect(spec.channels.stable!.aws!.partitions[0]!.regions).toContain('eu-central-1');
  });

  it('resolves names per board as Flatcar does', () => {
    const { spec } = builtinSpec();
    const amd = resolveRelease(spec, { channel: 'stable', board: 'amd64-usr', version: '4081.2.0' });
    expect(amd.source).toBe('https://bincache.flatcar-linux.net/images/amd64/4081.2.0/');
    expect(amd.aws!.amiName).toBe('Flatcar-stable-4081.2.0-hvm');
    expect(amd.gce!.imageName).toBe('flatcar-stable-4081-2-0');
    expect(amd.azure!.blobName).toBe('flatcar-linux-4081.2.0-stable-amd64.vhd');
    expect(amd.azure!.gallery!.version).toBe('4081.2.0');
    expect(amd.storage[0]!.paths).toEqual(['amd64-usr/4081.2.0', 'amd64-usr/current']);
    const arm = resolveRelease(spec, { channel: 'stable', board: 'arm64-usr', version: '4081.2.0' });
    expect(arm.aws!.amiName).toBe('Flatcar-stable-4081.2.0-arm64-hvm');
    expect(arm.aws!.description).toBe('Flatcar Container Linux stable 4081.2.0 arm64');
    expect(arm.gce).toBeUndefined(); // no arm64 GCE images
  });

  it('a file replaces the built-in spec; relative key paths are relative to the file', async () => {
    const f = join(dir, 'good.yaml');
    await writeFile(f, GOOD);
    const { spec, source } = await loadSpec('good.yaml', dir);
    expect(source).toBe(f);
    expect(spec.channels.test!.verifyKey).toBe(join(dir, 'keys/release.asc'));
    expect(spec.channels.test!.azure!.blobName).toBe('flatcar-linux-{version}-{channel}-{arch}.vhd');
  });

  it('a bad value is reported at its file:line:col with its path', () => {
    const text = GOOD.replace('s3://releases/{channel}/', 'ftp://releases/');
    expect(() => parseSpecText(text, 'spec.yaml')).toThrow(
      /spec\.yaml:9:14: channels\.test\.storage\[0\]\.url: a writable store URL/,
    );
  });

  it('an unknown key is reported at the key, an unknown placeholder at the value', () => {
    const text = GOOD.replace('    azure:\n', '    azrue:\n').replace('{arch}/{version}', '{arch}/{ver}');
    let msg = '';
    try {
      parseSpecText(text, 'spec.yaml');
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/spec\.yaml:4:13: channels\.test\.source: unknown placeholder/);
    expect(msg).toMatch(/spec\.yaml:6:5: channels\.test: Unrecognized key: "azrue"/);
  });

  it('names that become cache files or store keys cannot leave their directory', () => {
    const problems = (text: string): string => {
      try {
        parseSpecText(text, 'spec.yaml');
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    const image = GOOD.replace(
      '      blobs: azure://devstoreaccount1/images\n',
      '      blobs: azure://devstoreaccount1/images\n      image: ../../etc/passwd\n      blobName: "a\\nb.vhd"\n',
    );
    const msg = problems(image);
    expect(msg).toMatch(/spec\.yaml:8:14: channels\.test\.azure\.image: a plain file name/);
    expect(msg).toMatch(/spec\.yaml:9:17: channels\.test\.azure\.blobName: a plain file name/);
    for (const bad of ['/abs/{version}', '{board}/../../x'])
      expect(problems(GOOD.replace("'{board}/current'", `'${bad}'`))).toMatch(
        /channels\.test\.storage\[0\]\.paths\[1\]: a path relative to the store root/,
      );
  });

  it('community gallery publisher details are checked, a missing one named', () => {
    const gallery = (community: string) =>
      GOOD.replace(
        '      blobs: azure://devstoreaccount1/images\n',
        `      blobs: azure://devstoreaccount1/images
      gallery:
        resourceGroup: rg
        name: gal
        imageDefinition: flatcar-{channel}
        regions: [westus]
        community:
${community}`,
      );
    const ok = `          publisherUri: https://www.flatcar.org/
          publisherContact: infra@flatcar-linux.org
          eula: https://www.flatcar.org/docs/latest/
          publicNamePrefix: flatcar4azure
`;
    const spec = parseSpecText(gallery(ok), 'spec.yaml');
    expect(spec.channels.test!.azure!.gallery!.community!.publicNamePrefix).toBe('flatcar4azure');
    expect(() => parseSpecText(gallery(ok.replace(/ *eula:.*\n/, '')), 'spec.yaml')).toThrow(
      /spec\.yaml:14:11: channels\.test\.azure\.gallery\.community\.eula: Invalid input: expected string/,
    );
    expect(() =>
      parseSpecText(gallery(ok.replace('infra@flatcar-linux.org', 'nobody')), 'spec.yaml'),
    ).toThrow(
      /spec\.yaml:15:29: channels\.test\.azure\.gallery\.community\.publisherContact: the publisher's support e-mail address/,
    );
  });

  it('a verifyKey outside the spec file’s directory is refused, naming the field', async () => {
    for (const key of ['../key.asc', '/etc/key.asc']) {
      const f = join(dir, 'escape.yaml');
      await writeFile(f, GOOD.replace('keys/release.asc', key));
      await expect(loadSpec(f, dir)).rejects.toMatchObject({
        code: 'PLUME_SPEC_UNSAFE_PATH',
        message: expect.stringContaining('channels.test.verifyKey') as unknown,
        exitCode: 2,
      });
    }
  });

  it('YAML syntax errors name the line', () => {
    expect(() => parseSpecText('channels:\n  a: [1, 2\n', 'x.yaml')).toThrow(/x\.yaml:\d+:\d+: YAML syntax/);
  });
});

describe('plume spec show', () => {
  it('prints one release, as JSON too', async () => {
    const r = await runPlume(['spec', 'show', '-C', 'stable', '-B', 'amd64-usr', '-V', '4081.2.0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^aws +AMI Flatcar-stable-4081\.2\.0-hvm/m);
    const j = await runPlume(['spec', 'show', '-C', 'stable', '-B', 'amd64-usr', '--json']);
    expect(j.code).toBe(0);
    const data = JSON.parse(j.stdout) as { release: { aws: { amiName: string } } };
    expect(data.release.aws.amiName).toBe('Flatcar-stable-{version}-hvm');
  });

  it('an unknown channel or board is exit 2 naming the flag and what exists', async () => {
    const r = await runPlume(['spec', 'show', '-C', 'nope', '-B', 'amd64-usr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-C nope: no such channel/);
    expect(r.stderr).toMatch(/channels: alpha, beta, stable, lts, developer/);
    const b = await runPlume(['spec', 'show', '-C', 'stable', '-B', 'riscv-usr']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/boards of stable: amd64-usr, arm64-usr/);
  });

  it('a bad --spec is exit 2 with the file:line', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'channels:\n  x:\n    boards: []\n    source: file:///a/\n');
    const r = await runPlume(['spec', 'show', '--spec', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'bad.yaml')}:3:13: channels.x.boards:`);
  });

  it('plume --version still prints plume’s version', async () => {
    const r = await runPlume(['--version']);
    expect(r.stdout).toMatch(/^plume \d+\.\d+\.\d+\n$/);
  });
});
