import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors/index.js';
import { butaneToIgnition, type ButaneOptions } from './butane.js';
import { decodeDataUrl } from './data-url.js';

/** Translate and return the thrown InputError (fails the test if nothing is thrown). */
function failure(yaml: string, opts: ButaneOptions = {}): InputError {
  try {
    butaneToIgnition(yaml, { source: 'test.bu', ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected butaneToIgnition to throw');
}

const head = 'variant: flatcar\nversion: 1.0.0\n';

describe('butaneToIgnition: versions and variants', () => {
  it.each([
    ['flatcar', '1.0.0', '3.3.0'],
    ['flatcar', '1.1.0', '3.4.0'],
    ['fcos', '1.0.0', '3.0.0'],
    ['fcos', '1.1.0', '3.1.0'],
    ['fcos', '1.2.0', '3.2.0'],
    ['fcos', '1.3.0', '3.2.0'],
    ['fcos', '1.4.0', '3.3.0'],
    ['fcos', '1.5.0', '3.4.0'],
  ])('%s %s emits Ignition %s', (variant, version, ign) => {
    const r = butaneToIgnition(`variant: ${variant}\nversion: ${version}\n`);
    expect(r.config).toEqual({ ignition: { version: ign } });
    expect(r.warnings).toEqual([]);
  });

  it('names the line of an unknown variant', () => {
    const e = failure('# comment\nvariant: coreos\nversion: 1.0.0\n');
    expect(e.code).toBe('IGNITION_UNKNOWN_VARIANT');
    expect(e.message).toBe('test.bu:2:10: variant: unknown variant "coreos"');
    expect(e.hint).toMatch(/flatcar, fcos/);
  });

  it('refuses a version the variant does not have, and a non-string version', () => {
    const e = failure('variant: flatcar\nversion: 1.2.0-experimental\n');
    expect(e.code).toBe('IGNITION_UNSUPPORTED_VERSION');
    expect(e.message).toMatch(
      /^test\.bu:2:10: version: flatcar version 1\.2\.0-experimental is not supported/,
    );
    expect(e.hint).toMatch(/1\.0\.0, 1\.1\.0/);
    expect(failure('variant: fcos\nversion: 1.6\n').message).toMatch(
      /test\.bu:2:10: version: version must be a semver string/,
    );
  });

  it('refuses a config without variant', () => {
    expect(failure('version: 1.0.0\n').code).toBe('IGNITION_NO_VARIANT');
    expect(failure('- a\n- b\n').code).toBe('IGNITION_NO_VARIANT');
  });
});

describe('butaneToIgnition: types and keys', () => {
  it('turns an octal mode into decimal', () => {
    const r = butaneToIgnition(
      `${head}storage:\n  files:\n    - path: /a\n      mode: 0644\n    - path: /b\n      mode: 0o755\n`,
    );
    expect(r.config.storage?.files?.map((f) => f.mode)).toEqual([420, 493]);
  });

  it('reports a quoted mode with line, key and a hint', () => {
    const e = failure(`${head}storage:\n  files:\n    - path: /a\n      mode: "0644"\n`);
    expect(e.code).toBe('IGNITION_TYPE');
    expect(e.message).toBe('test.bu:6:13: storage.files[0].mode: expected an integer, got the string "0644"');
    expect(e.hint).toMatch(/unquoted octal/);
  });

  it('reports a non-boolean enabled', () => {
    const e = failure(`${head}systemd:\n  units:\n    - name: a.service\n      enabled: "true"\n`);
    expect(e.message).toBe(
      'test.bu:6:16: systemd.units[0].enabled: expected a boolean (true or false), got the string "true"',
    );
  });

  it('accepts YAML 1.1 booleans with a warning, like Butane', () => {
    const r = butaneToIgnition(`${head}systemd:\n  units:\n    - name: a.service\n      enabled: yes\n`, {
      source: 'test.bu',
    });
    expect(r.config.systemd?.units?.[0]?.enabled).toBe(true);
    expect(r.warnings).toEqual([
      'test.bu:6:16: systemd.units[0].enabled: "yes" is a YAML 1.1 boolean; write true or false',
    ]);
    // Butane itself reads "yes" silently: the note is mantle's own, so --strict does not refuse it.
    const strict = butaneToIgnition(
      `${head}systemd:\n  units:\n    - name: a.service\n      enabled: yes\n`,
      {
        strict: true,
      },
    );
    expect(strict.config.systemd?.units?.[0]?.enabled).toBe(true);
  });

  it('warns about unknown keys (line and column, the Butane spelling) and still produces the config', () => {
    const yaml = `${head}passwd:\n  users:\n    - name: core\n      sshAuthorizedKeys: [k]\n`;
    const r = butaneToIgnition(yaml, { source: 'test.bu' });
    expect(r.config.passwd?.users).toEqual([{ name: 'core' }]);
    expect(r.warnings).toEqual([
      'test.bu:6:7: passwd.users[0].sshAuthorizedKeys: unknown key "sshAuthorizedKeys" (ignored); Butane spells it "ssh_authorized_keys" (snake_case); "sshAuthorizedKeys" is the Ignition JSON name',
    ]);
    // butane --strict: any warning is fatal.
    const e = failure(yaml, { strict: true });
    expect(e.code).toBe('IGNITION_UNKNOWN_KEY');
    expect(e.message).toBe(
      'test.bu:6:7: passwd.users[0].sshAuthorizedKeys: unknown key "sshAuthorizedKeys" (ignored)',
    );
    expect(e.hint).toMatch(/"ssh_authorized_keys"/);
    expect(failure(`${head}storage:\n  fils: []\n`, { strict: true }).hint).toBe('did you mean "files"?');
  });

  it('warns about ignition.version in Butane (Butane sets it) and emits its own', () => {
    const r = butaneToIgnition(`${head}ignition:\n  version: 3.0.0\n`, { source: 'test.bu' });
    expect(r.config.ignition.version).toBe('3.3.0');
    expect(r.warnings[0]).toMatch(/^test\.bu:4:3: ignition\.version: unknown key "version" \(ignored\)/);
  });

  it('lists every problem, each with its line', () => {
    const e = failure(`${head}storage:\n  files:\n    - path: /a\n      mode: x\n    - mode: 0644\n`);
    expect(e.message).toMatch(/^2 problems in test\.bu:/);
    expect(e.message).toContain('test.bu:6:13: storage.files[0].mode: expected an integer');
    expect(e.message).toContain('test.bu:7:7: storage.files[1]: missing required key "path"');
    expect((e.details?.problems as unknown[]).length).toBe(2);
  });

  it('reports YAML syntax errors with their line', () => {
    const e = failure(`${head}storage:\n  files:\n    - path: /a\n     mode: 0644\n`);
    expect(e.code).toBe('IGNITION_YAML_SYNTAX');
    expect(e.message).toMatch(/^test\.bu:6:/);
  });

  it('reports duplicate YAML keys', () => {
    const e = failure(`${head}storage:\n  files:\n    - path: /a\n      path: /b\n`);
    expect(e.code).toBe('IGNITION_YAML_SYNTAX');
    expect(e.message).toMatch(/test\.bu:6:7: .*unique/);
  });

  it('follows aliases', () => {
    const r = butaneToIgnition(
      `${head}storage:\n  files:\n    - path: /a\n      mode: &m 0600\n    - path: /b\n      mode: *m\n`,
    );
    expect(r.config.storage?.files?.map((f) => f.mode)).toEqual([384, 384]);
  });
});

describe('butaneToIgnition: version gates', () => {
  it('warns about a field newer than the spec emits, naming the spec to use; --strict refuses it', () => {
    const yaml = 'variant: fcos\nversion: 1.1.0\nstorage:\n  luks:\n    - name: root\n';
    const r = butaneToIgnition(yaml, { source: 'test.bu' });
    expect(r.config).toEqual({ ignition: { version: '3.1.0' } });
    expect(r.warnings[0]).toMatch(
      /^test\.bu:4:3: storage\.luks: "luks" needs Ignition 3\.2\.0.* \(ignored\)/,
    );
    const e = failure(yaml, { strict: true });
    expect(e.code).toBe('IGNITION_FIELD_VERSION');
    expect(e.message).toBe(
      'test.bu:4:3: storage.luks: "luks" needs Ignition 3.2.0, but Butane fcos 1.1.0 emits 3.1.0 (ignored)',
    );
    expect(e.hint).toBe('set version: 1.2.0');
  });

  it('warns about contents_local before flatcar 1.1.0 (an unused key to Butane 1.0.0)', () => {
    const yaml = `${head}systemd:\n  units:\n    - name: a.service\n      contents_local: a.service\n`;
    expect(butaneToIgnition(yaml).config.systemd?.units).toEqual([{ name: 'a.service' }]);
    const e = failure(yaml, { strict: true });
    expect(e.message).toBe(
      'test.bu:6:7: systemd.units[0].contents_local: "contents_local" is not in Butane flatcar 1.0.0 (ignored)',
    );
    expect(e.hint).toMatch(/flatcar version 1\.1\.0/);
  });

  it('refuses clevis in the flatcar variant and says with_mount_unit is not translated', () => {
    expect(
      failure(`${head}storage:\n  luks:\n    - name: r\n      clevis:\n        tpm2: true\n`).message,
    ).toMatch(
      /test\.bu:6:7: storage\.luks\[0\]\.clevis: "clevis": clevis is not supported in the flatcar variant/,
    );
    const e = failure(
      `${head}storage:\n  filesystems:\n    - device: /dev/vdb\n      with_mount_unit: true\n`,
    );
    expect(e.code).toBe('IGNITION_UNSUPPORTED_FIELD');
    expect(e.message).toMatch(
      /^test\.bu:6:7: storage\.filesystems\[0\]\.with_mount_unit: "with_mount_unit" is Butane sugar mantle does not translate/,
    );
  });
});

describe('butaneToIgnition: contents', () => {
  it('makes inline contents a data URL with compression ""', () => {
    const r = butaneToIgnition(
      `${head}storage:\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: node-1\n`,
    );
    expect(r.config.storage?.files?.[0]).toEqual({
      path: '/etc/hostname',
      contents: { compression: '', source: 'data:,node-1' },
    });
  });

  it('checks that contents said to be gzip really are', () => {
    const e = failure(
      `${head}storage:\n  files:\n    - path: /x\n      contents:\n        compression: gzip\n        inline: plain text\n`,
    );
    expect(e.code).toBe('IGNITION_DATA_URL');
    expect(e.message).toMatch(
      /^test\.bu:8:17: storage\.files\[0\]\.contents\.inline: data URL says compression gzip but does not gunzip/,
    );
  });

  it('refuses two sources at once, at the second one', () => {
    const e = failure(
      `${head}storage:\n  files:\n    - path: /x\n      contents:\n        source: https://a.test/x\n        inline: hi\n`,
    );
    expect(e.code).toBe('IGNITION_TOO_MANY_SOURCES');
    expect(e.message).toMatch(
      /^test\.bu:8:17: storage\.files\[0\]\.contents\.inline: only one of source, inline and local/,
    );
  });

  it('checks a verification hash against embedded contents', () => {
    const e = failure(
      `${head}storage:\n  files:\n    - path: /x\n      contents:\n        inline: hi\n        verification:\n          hash: sha256-${'0'.repeat(64)}\n`,
    );
    expect(e.code).toBe('IGNITION_HASH_MISMATCH');
    expect(e.message).toMatch(
      /test\.bu:9:17: storage\.files\[0\]\.contents\.verification\.hash: the embedded data hashes to sha256-8f434346/,
    );
  });

  it('requires a hash on remote sources when asked', () => {
    const y = `${head}storage:\n  files:\n    - path: /x\n      contents:\n        source: https://a.test/x\n`;
    expect(butaneToIgnition(y).config.storage?.files?.[0]?.contents?.source).toBe('https://a.test/x');
    const e = failure(y, { requireRemoteHash: true });
    expect(e.code).toBe('IGNITION_REMOTE_NO_HASH');
    expect(e.message).toMatch(
      /^test\.bu:7:17: storage\.files\[0\]\.contents\.source: remote source https:\/\/a\.test\/x has no verification\.hash/,
    );
  });

  it('warns about a mode that was meant to be octal', () => {
    const r = butaneToIgnition(`${head}storage:\n  files:\n    - path: /x\n      mode: 644\n`, {
      source: 'test.bu',
    });
    expect(r.config.storage?.files?.[0]?.mode).toBe(644);
    expect(r.warnings).toContainEqual(
      expect.stringMatching(
        /^test\.bu:6:13: storage\.files\[0\]\.mode: mode 644 looks like decimal; it means 01204(; |$)/,
      ),
    );
    expect(
      failure(`${head}storage:\n  files:\n    - path: /x\n      mode: 644\n`, { strict: true }).code,
    ).toBe('IGNITION_MODE_DECIMAL');
  });
});

describe('butaneToIgnition: local files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mantle-butane-'));
    mkdirSync(join(dir, 'files'));
    writeFileSync(join(dir, 'files', 'a.txt'), 'from a file\n');
    writeFileSync(join(dir, 'secret'), 'outside\n');
    symlinkSync(join(dir, 'secret'), join(dir, 'files', 'link'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const local = (p: string): string =>
    `${head}storage:\n  files:\n    - path: /x\n      contents:\n        local: ${p}\n`;

  it('embeds a file from filesDir', () => {
    const r = butaneToIgnition(local('a.txt'), { filesDir: join(dir, 'files') });
    expect(r.config.storage?.files?.[0]?.contents).toEqual({
      compression: '',
      source: 'data:,from%20a%20file%0A',
    });
  });

  it('needs filesDir', () => {
    const e = failure(local('a.txt'));
    expect(e.code).toBe('IGNITION_LOCAL_NO_FILES_DIR');
    expect(e.message).toMatch(
      /^test\.bu:7:16: storage\.files\[0\]\.contents\.local: local file "a\.txt" needs a files directory/,
    );
  });

  it('refuses paths and symlinks that leave filesDir', () => {
    const e = failure(local('../secret'), { filesDir: join(dir, 'files') });
    expect(e.code).toBe('IGNITION_LOCAL_ESCAPE');
    expect(e.message).toMatch(/test\.bu:7:16: storage\.files\[0\]\.contents\.local:/);
    expect(failure(local('link'), { filesDir: join(dir, 'files') }).message).toMatch(
      /symlink leading outside/,
    );
  });

  it('keeps a user-given gzip and does not compress again', () => {
    writeFileSync(join(dir, 'files', 'a.gz'), gzipSync('z'.repeat(400)));
    const r = butaneToIgnition(
      `${head}storage:\n  files:\n    - path: /x\n      contents:\n        compression: gzip\n        local: a.gz\n`,
      {
        filesDir: join(dir, 'files'),
      },
    );
    const c = r.config.storage?.files?.[0]?.contents;
    expect(c?.compression).toBe('gzip');
    expect(gunzipSync(decodeDataUrl(c!.source!)).toString()).toBe('z'.repeat(400));
  });

  it('expands a tree into files (0755 if executable) and links, filling entries that only set metadata', () => {
    mkdirSync(join(dir, 'files', 'tree', 'bin'), { recursive: true });
    writeFileSync(join(dir, 'files', 'tree', 'bin', 'run'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'files', 'tree', 'motd'), 'hi\n');
    symlinkSync('bin/run', join(dir, 'files', 'tree', 'go'));
    const y = `${head}storage:\n  trees:\n    - local: tree\n      path: /opt/app\n  files:\n    - path: /opt/app/motd\n      mode: 0600\n`;
    const r = butaneToIgnition(y, { filesDir: join(dir, 'files') });
    expect(r.config.storage).toEqual({
      files: [
        { path: '/opt/app/motd', contents: { compression: '', source: 'data:,hi%0A' }, mode: 0o600 },
        {
          path: '/opt/app/bin/run',
          contents: { compression: '', source: 'data:,%23!%2Fbin%2Fsh%0A' },
          mode: 0o755,
        },
      ],
      links: [{ path: '/opt/app/go', target: 'bin/run' }],
    });
    const clash = failure(
      `${head}storage:\n  trees:\n    - local: tree\n  files:\n    - path: /motd\n      contents:\n        inline: x\n`,
      { filesDir: join(dir, 'files') },
    );
    expect(clash.code).toBe('IGNITION_TREE');
    expect(clash.message).toMatch(
      /^test\.bu:5:7: storage\.trees\[0\]: \/motd from the tree is already in the config/,
    );
    expect(
      failure(`${head}storage:\n  trees:\n    - local: ..\n`, { filesDir: join(dir, 'files') }).code,
    ).toBe('IGNITION_LOCAL_ESCAPE');
    expect(
      failure(`${head}storage:\n  trees:\n    - path: /x\n`, { filesDir: join(dir, 'files') }).message,
    ).toMatch(/missing required key "local"/);
  });

  it('reports a missing file', () => {
    expect(failure(local('nope.txt'), { filesDir: join(dir, 'files') }).message).toMatch(
      /cannot read local file "nope\.txt".*ENOENT/,
    );
  });
});

describe('butaneToIgnition: YAML features', () => {
  it('applies merge keys, explicit keys winning', () => {
    const y = `${head}storage:\n  files:\n    - &base\n      path: /a\n      mode: 0600\n    - <<: *base\n      path: /b\n`;
    expect(butaneToIgnition(y).config.storage?.files).toEqual([
      { path: '/a', mode: 384 },
      { path: '/b', mode: 384 },
    ]);
  });

  it('validates an inline merged Ignition config', () => {
    const ok = `${head}ignition:\n  config:\n    merge:\n      - inline: '{"ignition":{"version":"3.3.0"}}'\n`;
    expect(butaneToIgnition(ok).config.ignition.config?.merge?.[0]).toEqual({
      compression: '',
      source: 'data:;base64,eyJpZ25pdGlvbiI6eyJ2ZXJzaW9uIjoiMy4zLjAifX0=', // shorter than percent-escaped JSON
    });
    const e = failure(
      `${head}ignition:\n  config:\n    merge:\n      - inline: '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"x"}]}}'\n`,
    );
    expect(e.code).toBe('IGNITION_PATH_RELATIVE');
    expect(e.message).toMatch(
      /^test\.bu:6:17: ignition\.config\.merge\[0\]\.inline: embedded Ignition config is invalid: /,
    );
  });

  it('passes on the warnings of the embedded config, as Butane does', () => {
    const r = butaneToIgnition(
      `${head}ignition:\n  config:\n    merge:\n      - inline: '{"ignition":{"version":"3.3.0"},"foo":1}'\n`,
      { source: 'test.bu' },
    );
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^test\.bu:6:17: ignition\.config\.merge\[0\]\.inline: embedded Ignition config: .*unknown key "foo" \(ignored\)/,
      ),
    ]);
  });

  it('warns about (and does not validate) an embedded config of another spec version, as Butane does', () => {
    for (const v of ['3.2.0', '9.9.9']) {
      const r = butaneToIgnition(
        `${head}ignition:\n  config:\n    merge:\n      - inline: '{"ignition":{"version":"${v}"},"storage":{"files":[{"path":"x"}]}}'\n`,
      );
      expect(r.warnings).toEqual([
        `<input>:6:17: ignition.config.merge[0].inline: embedded Ignition config has spec version ${v}, not 3.3.0: not validated; write ignition.version 3.3.0 in it to have it checked`,
      ]);
    }
    expect(
      failure(`${head}ignition:\n  config:\n    merge:\n      - inline: '{"ignition":{"version":"x"}}'\n`)
        .code,
    ).toBe('IGNITION_VERSION');
  });

  it('warns about setuid bits only where Ignition ignores them (before 3.4.0), and about decimal directory modes', () => {
    const bits = (version: string) =>
      butaneToIgnition(
        `variant: flatcar\nversion: ${version}\nstorage:\n  files:\n    - path: /x\n      mode: 04755\n`,
      ).warnings;
    expect(bits('1.0.0')).toEqual([
      '<input>:6:13: storage.files[0].mode: mode 04755 sets setuid/setgid/sticky bits, which Ignition ignores before spec 3.4.0; use spec 3.4.0 (Butane flatcar 1.1.0) or drop the special bits',
    ]);
    expect(bits('1.1.0')).toEqual([]);
    expect(
      butaneToIgnition(
        `variant: flatcar\nversion: 1.1.0\nstorage:\n  directories:\n    - path: /d\n      mode: 755\n`,
      ).warnings,
    ).toEqual([
      '<input>:6:13: storage.directories[0].mode: mode 755 looks like decimal; it means 01363; write 0755 (with a leading zero) for octal',
    ]);
  });
});
