import { describe, expect, it } from 'vitest';
import { InputError } from '../errors/index.js';
import { findIgnitionProblems, parseIgnition, validateIgnition, type IgnitionCheckOptions } from './parse.js';

function failure(json: string, opts: IgnitionCheckOptions = {}): InputError {
  try {
    parseIgnition(json, { source: 'c.ign', ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected parseIgnition to throw');
}

const pretty = (o: unknown): string => JSON.stringify(o, null, 2);
const v33 = (rest: object = {}): object => ({ ignition: { version: '3.3.0' }, ...rest });

describe('parseIgnition', () => {
  it('reads a valid config in canonical key order', () => {
    const r = parseIgnition(
      '{"storage":{"files":[{"mode":420,"path":"/etc/x","contents":{"source":"data:,hi"}}]},"ignition":{"version":"3.0.0"}}',
    );
    expect(JSON.stringify(r.config)).toBe(
      '{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/etc/x","contents":{"source":"data:,hi"},"mode":420}]}}',
    );
    expect(r.warnings).toEqual([]);
  });

  it.each(['3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.4.0'])('accepts version %s', (v) => {
    expect(parseIgnition(`{"ignition":{"version":"${v}"}}`).config.ignition.version).toBe(v);
  });

  it('refuses unknown, old and missing versions, naming the line', () => {
    const e = failure('{\n  "ignition": {\n    "version": "3.5.0"\n  }\n}');
    expect(e.code).toBe('IGNITION_VERSION');
    expect(e.message).toBe('c.ign:3:16: ignition.version: unsupported Ignition version "3.5.0"');
    expect(failure('{"ignition":{"version":"2.3.0"}}').message).toMatch(/old 2\.x format/);
    expect(failure('{"ignition":{}}').message).toMatch(/^c\.ign:1:13: ignition: missing ignition\.version/);
  });

  it('reports JSON syntax errors with a line', () => {
    const e = failure('{\n  "ignition": {"version": "3.3.0"},\n}');
    expect(e.code).toBe('IGNITION_JSON_SYNTAX');
    expect(e.message).toMatch(/^c\.ign:3:1: /);
    expect(failure('{"ignition": ').code).toBe('IGNITION_JSON_SYNTAX');
  });

  it('names line and JSON path of a wrong type', () => {
    const e = failure(pretty(v33({ storage: { files: [{ path: '/etc/x', mode: '0644' }] } })));
    expect(e.code).toBe('IGNITION_TYPE');
    expect(e.message).toBe('c.ign:9:17: storage.files[0].mode: expected an integer, got the string "0644"');
    expect(e.hint).toMatch(/"mode": 420/);
    expect(
      failure('{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/x","mode":420.5}]}}').code,
    ).toBe('IGNITION_TYPE');
  });

  it('warns about an unknown key and ignores it, as ignition-validate does ("Unused key"); rejects it when asked', () => {
    const text = pretty(v33({ passwd: { users: [{ name: 'core', ssh_authorized_keys: ['k'] }] } }));
    const r = parseIgnition(text, { source: 'c.ign' });
    expect(r.warnings).toEqual([
      'c.ign:9:9: passwd.users[0].ssh_authorized_keys: unknown key "ssh_authorized_keys" (ignored); Ignition spells it "sshAuthorizedKeys" (camelCase); "ssh_authorized_keys" is the Butane name',
    ]);
    expect(r.config.passwd?.users).toEqual([{ name: 'core' }]);
    const e = failure(text, { rejectUnknownKeys: true });
    expect(e.message).toBe(
      'c.ign:9:9: passwd.users[0].ssh_authorized_keys: unknown key "ssh_authorized_keys"',
    );
    expect(e.hint).toMatch(/"sshAuthorizedKeys"/);
    expect(failure(text, { strict: true }).code).toBe('IGNITION_UNKNOWN_KEY');
  });

  it('ignores keys newer than the declared version with a warning (Ignition: "Unused key"); refuses newer sources', () => {
    const r = parseIgnition('{"ignition":{"version":"3.2.0"},"kernelArguments":{"shouldExist":["quiet"]}}');
    expect(r.warnings[0]).toMatch(
      /"kernelArguments" needs Ignition 3\.3\.0, but the config says ignition\.version 3\.2\.0 \(ignored\)/,
    );
    expect(r.config.kernelArguments).toBeUndefined();
    expect(
      failure(
        '{"ignition":{"version":"3.1.0"},"storage":{"files":[{"path":"/x","contents":{"source":"gs://b/o"}}]}}',
      ).message,
    ).toMatch(/"gs:" sources need Ignition 3\.2\.0/);
  });

  it('ignores Butane sugar in Ignition JSON with a warning (an unused key to Ignition)', () => {
    expect(
      parseIgnition(
        '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/x","contents":{"inline":"hi"}}]}}',
      ).warnings[0],
    ).toMatch(/storage\.files\[0\]\.contents\.inline: unknown key "inline" \(ignored\)/);
  });

  it.each([
    [{ storage: { files: [{ path: 'etc/x' }] } }, 'IGNITION_PATH_RELATIVE', 'storage.files[0].path'],
    [{ storage: { files: [{ path: '/etc//x' }] } }, 'IGNITION_PATH_DIRTY', 'storage.files[0].path'],
    [
      { storage: { directories: [{ path: '/etc/x/' }] } },
      'IGNITION_PATH_DIRTY',
      'storage.directories[0].path',
    ],
    [{ storage: { files: [{ path: '/x', mode: 5000 }] } }, 'IGNITION_MODE', 'storage.files[0].mode'],
    [
      { storage: { files: [{ path: '/x', contents: { source: 'data:;base64,bm90=*' } }] } },
      'IGNITION_DATA_URL',
      'storage.files[0].contents.source',
    ],
    [
      {
        storage: {
          files: [
            { path: '/x', contents: { source: 'https://a.test/x', verification: { hash: 'sha512-abc' } } },
          ],
        },
      },
      'IGNITION_HASH',
      'storage.files[0].contents.verification.hash',
    ],
    [
      {
        storage: {
          files: [
            { path: '/x', contents: { source: 'https://a.test/x', verification: { hash: 'md5-abc' } } },
          ],
        },
      },
      'IGNITION_HASH',
      'storage.files[0].contents.verification.hash',
    ],
    [
      { storage: { files: [{ path: '/x', contents: { source: '/tmp/x' } }] } },
      'IGNITION_URL',
      'storage.files[0].contents.source',
    ],
    [
      { storage: { files: [{ path: '/x', contents: { source: 'ftp://a/x' } }] } },
      'IGNITION_URL',
      'storage.files[0].contents.source',
    ],
    [
      {
        storage: {
          files: [{ path: '/x', contents: { source: 's3://b/o', httpHeaders: [{ name: 'a', value: 'b' }] } }],
        },
      },
      'IGNITION_HTTP_HEADERS',
      'storage.files[0].contents.httpHeaders',
    ],
    [
      { storage: { files: [{ path: '/x', contents: { compression: 'xz', source: 'data:,x' } }] } },
      'IGNITION_COMPRESSION',
      'storage.files[0].contents.compression',
    ],
    [
      { storage: { files: [{ path: '/x', overwrite: true }] } },
      'IGNITION_OVERWRITE_NO_SOURCE',
      'storage.files[0].overwrite',
    ],
    [
      { storage: { files: [{ path: '/x', user: { id: 0, name: 'root' } }] } },
      'IGNITION_ID_AND_NAME',
      'storage.files[0].user',
    ],
    [
      { storage: { files: [{ path: '/x' }], links: [{ path: '/x', target: '/y' }] } },
      'IGNITION_DUPLICATE',
      'storage.links[0].path',
    ],
    [
      { storage: { files: [{ path: '/l/x' }], links: [{ path: '/l', target: '/y' }] } },
      'IGNITION_PATH_UNDER_LINK',
      'storage.files[0].path',
    ],
    [{ storage: { links: [{ path: '/l' }] } }, 'IGNITION_LINK_TARGET', 'storage.links[0]'],
    [
      { storage: { directories: [{ path: '/d' }], links: [{ path: '/l', target: '/d', hard: true }] } },
      'IGNITION_HARD_LINK_DIRECTORY',
      'storage.links[0].target',
    ],
    [{ systemd: { units: [{ name: 'foo' }] } }, 'IGNITION_UNIT_NAME', 'systemd.units[0].name'],
    [
      { systemd: { units: [{ name: 'a.service' }, { name: 'a.service' }] } },
      'IGNITION_DUPLICATE',
      'systemd.units[1].name',
    ],
    [
      { systemd: { units: [{ name: 'a.service', dropins: [{ name: 'x' }] }] } },
      'IGNITION_DROPIN_NAME',
      'systemd.units[0].dropins[0].name',
    ],
    [
      {
        systemd: { units: [{ name: 'a.service', contents: '[Unit]\n' }] },
        storage: { files: [{ path: '/etc/systemd/system/a.service' }] },
      },
      'IGNITION_PATH_CONFLICTS_SYSTEMD',
      'storage.files[0].path',
    ],
    [
      { passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['a', 'a'] }] } },
      'IGNITION_DUPLICATE',
      'passwd.users[0].sshAuthorizedKeys[1]',
    ],
    [{ storage: { luks: [{ name: 'root' }] } }, 'IGNITION_REQUIRED', 'storage.luks[0].device'],
    [
      { storage: { filesystems: [{ device: '/dev/a', path: '/m' }] } },
      'IGNITION_FS_FORMAT',
      'storage.filesystems[0].format',
    ],
    [
      { storage: { filesystems: [{ device: '/dev/a', format: 'xfs2' }] } },
      'IGNITION_FS_FORMAT',
      'storage.filesystems[0].format',
    ],
    [
      { storage: { raid: [{ name: 'md0', level: 'raid7', devices: ['/dev/a'] }] } },
      'IGNITION_RAID_LEVEL',
      'storage.raid[0].level',
    ],
    [
      { kernelArguments: { shouldExist: ['a'], shouldNotExist: ['a'] } },
      'IGNITION_DUPLICATE',
      'kernelArguments.shouldNotExist[0]',
    ],
    [
      { storage: { disks: [{ device: '/dev/a', partitions: [{ number: 1 }, { number: 1 }] }] } },
      'IGNITION_PARTITION_NUMBER',
      'storage.disks[0].partitions[1]',
    ],
    [
      { systemd: { units: [{ name: 'b.service', contents: 'garbage\n' }] } },
      'IGNITION_UNIT_SYNTAX',
      'systemd.units[0].contents',
    ],
    [
      { systemd: { units: [{ name: 'b.service', contents: '[Unit\n' }] } },
      'IGNITION_UNIT_SYNTAX',
      'systemd.units[0].contents',
    ],
  ])('%j → %s at %s', (rest, code, path) => {
    const e = failure(pretty(v33(rest)));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(new RegExp(`^c\\.ign:\\d+:\\d+: ${path.replace(/[[\].]/g, '\\$&')}: `));
  });

  it('warns about suspicious but valid settings', () => {
    const r = parseIgnition(
      pretty(
        v33({
          storage: { files: [{ path: '/x', mode: 0o4755 }] },
          systemd: {
            units: [
              { name: 'a.service', enabled: true, contents: '[Service]\nExecStart=/bin/true\n' },
              { name: 'b.service', contents: 'Description=x\n' },
            ],
          },
          passwd: { users: [{ uid: 5 }] },
        }),
      ),
      { source: 'c.ign' },
    );
    expect(r.warnings.map((w) => w.replace(/^c\.ign:\d+:\d+: /, '').replace(/; .*/, ''))).toEqual([
      'storage.files[0].mode: mode 04755 sets setuid/setgid/sticky bits, which Ignition ignores before spec 3.4.0',
      'systemd.units[0].contents: unit a.service is enabled but has no [Install] section, so enabling does nothing',
      'systemd.units[1].contents: unit line 1: setting before any [Section] header',
      'passwd.users[0]: this user has no name',
    ]);
    // Ignition accepts the last two without a word: they are notices, which --strict lets pass
    expect(() =>
      parseIgnition(pretty(v33({ passwd: { users: [{ uid: 5 }] } })), { strict: true }),
    ).not.toThrow();
  });

  it('warns about duplicate JSON keys (the last wins, as in Go)', () => {
    const r = parseIgnition(
      '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/a","path":"/b"}]}}',
    );
    expect(r.config.storage?.files?.[0]?.path).toBe('/b');
    expect(r.warnings[0]).toMatch(/duplicate key "path"/);
  });
});

describe('validateIgnition / findIgnitionProblems', () => {
  it('accepts a valid object and returns warnings', () => {
    expect(
      validateIgnition({ ignition: { version: '3.4.0' }, storage: { files: [{ path: '/x', mode: 420 }] } }),
    ).toEqual({ warnings: [] });
  });

  it('throws with the JSON path for an invalid object', () => {
    expect(() =>
      validateIgnition({ ignition: { version: '3.3.0' }, storage: { files: [{ path: 'rel' }] } }),
    ).toThrow('<input>: storage.files[0].path: path "rel" is relative');
    expect(() =>
      validateIgnition({ ignition: { version: '3.3.0' }, storage: { files: [{ path: '/x', mode: 1.5 }] } }),
    ).toThrow(/expected an integer/);
  });

  it('lists problems without throwing', () => {
    const problems = findIgnitionProblems({
      ignition: { version: '3.3.0' },
      systemd: { units: [{ name: 'x' }, { name: 'y.service', enabled: 'yes' }] },
    });
    expect(problems.map((p) => [p.code, p.path])).toEqual([['IGNITION_TYPE', 'systemd.units[1].enabled']]);
    // semantic checks run once the structure is sound
    expect(
      findIgnitionProblems({ ignition: { version: '3.3.0' }, systemd: { units: [{ name: 'x' }] } }).map(
        (p) => p.code,
      ),
    ).toEqual(['IGNITION_UNIT_NAME']);
  });

  it('requires remote hashes when asked', () => {
    const cfg = { ignition: { version: '3.3.0', config: { merge: [{ source: 'https://a.test/c.ign' }] } } };
    expect(validateIgnition(cfg).warnings).toEqual([]);
    expect(() => validateIgnition(cfg, { requireRemoteHash: true })).toThrow(
      /ignition\.config\.merge\[0\]\.source: remote source https:\/\/a\.test\/c\.ign has no verification\.hash/,
    );
  });
});
