// Butane → Ignition on sysext-bakery style configs, checked three ways: exact JSON we expect,
// a round trip through our own Ignition reader, and the real `ignition-validate` from Debian's
// `ignition` package (Ignition 2.14: specs up to 3.3.0). Debian ships no `butane` binary, so
// the translator itself cannot be compared against Butane here; its output is instead fed to
// the Ignition that would consume it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  butaneToIgnition,
  decodeDataUrl,
  decodeResourceData,
  findIgnitionProblems,
  InputError,
  mergeIgnition,
  parseIgnition,
  renderIgnition,
  requireTool,
  run,
  type IgnitionConfig,
} from '../src/index.js';

const FIX = join(import.meta.dirname, 'fixtures', 'butane');
const FILES = join(FIX, 'files');
const read = (name: string): string => readFileSync(join(FIX, name), 'utf8');

function translate(name: string, opts: Parameters<typeof butaneToIgnition>[1] = {}) {
  return butaneToIgnition(read(name), { source: name, filesDir: FILES, ...opts });
}

function failure(
  text: string,
  source = 'bad.bu',
  opts: Parameters<typeof butaneToIgnition>[1] = {},
): InputError {
  try {
    butaneToIgnition(text, { source, filesDir: FILES, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error(`expected ${source} to be refused`);
}

describe('sysext-bakery style Butane configs', () => {
  it('translates remote sysext images, links, sysupdate files and drop-ins to the exact JSON expected', () => {
    const r = translate('sysext-remote.bu', { compress: false });
    expect(r.warnings).toEqual([]);
    expect(r.spec).toMatchObject({ variant: 'flatcar', version: '1.0.0', ignition: '3.3.0' });
    expect(renderIgnition(r.config, { pretty: true })).toBe(read('sysext-remote.ign'));
  });

  it('keeps remote sources and their verification hashes as written', () => {
    const files = translate('sysext-remote.bu').config.storage!.files!;
    expect(Object.keys(files[0]!.contents!)).toEqual(['source', 'verification']);
    expect(files[0]!.contents!.source).toBe(
      'https://releases.example.test/sysext/tailscale-1.76.1-x86-64.raw',
    );
    expect(files[0]!.contents!.verification!.hash).toMatch(/^sha512-[0-9a-f]{128}$/);
    expect(files[1]!.contents!.verification!.hash).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(files[4]).toEqual({ path: '/etc/systemd/system-generators/torcx-generator' });
  });

  it('embeds the sysupdate transfer file so it decodes to the inline text, gzip or not', () => {
    const yamlText = read('sysext-remote.bu');
    const inline = /inline: \|\n((?: {10}.*\n|\n)+)/.exec(yamlText)![1]!.replace(/^ {10}/gm, '');
    const gz = translate('sysext-remote.bu').config.storage!.files![3]!;
    expect(gz.mode).toBe(0o644);
    expect(gz.contents!.compression).toBe('gzip');
    expect(gunzipSync(decodeDataUrl(gz.contents!.source!)).toString()).toBe(inline);
    const plain = translate('sysext-remote.bu', { compress: false }).config.storage!.files![3]!;
    expect(plain.contents!.compression).toBe('');
    expect(decodeDataUrl(plain.contents!.source!).toString()).toBe(inline);
    expect(plain.contents!.source!.startsWith('data:,%5BTransfer%5D%0AVerify%3Dfalse%0A')).toBe(true);
  });

  it('links the images into /etc/extensions and masks the built-in ones', () => {
    const links = translate('sysext-remote.bu').config.storage!.links!;
    expect(links.filter((l) => l.target === '/dev/null').map((l) => [l.path, l.overwrite])).toEqual([
      ['/etc/extensions/docker-flatcar.raw', true],
      ['/etc/extensions/containerd-flatcar.raw', true],
    ]);
    expect(links[0]).toEqual({
      path: '/etc/extensions/tailscale.raw',
      hard: false,
      target: '/opt/extensions/tailscale/tailscale-1.76.1-x86-64.raw',
    });
  });

  it('embeds local files, unit contents and SSH keys from the files directory (flatcar 1.1.0)', () => {
    const r = translate('sysext-local.bu');
    expect(r.warnings).toEqual([]);
    const c = r.config;
    expect(c.ignition.version).toBe('3.4.0');
    const file = (p: string) => c.storage!.files!.find((f) => f.path === p)!;
    const bytes = (f: ReturnType<typeof file>) =>
      decodeResourceData(f.contents!.source!, f.contents!.compression);
    expect(
      bytes(file('/etc/nats/nats-server.conf')).equals(readFileSync(join(FILES, 'nats-server.conf'))),
    ).toBe(true);
    expect(bytes(file('/opt/bin/hello')).toString()).toBe('#!/bin/sh\necho "hello from mantle"\n');
    expect(file('/opt/bin/hello').contents!.source).toBe(
      'data:,%23!%2Fbin%2Fsh%0Aecho%20%22hello%20from%20mantle%22%0A',
    );
    const big = file('/var/lib/big.txt');
    expect(big.contents!.compression).toBe('gzip');
    expect(bytes(big).equals(readFileSync(join(FILES, 'big.txt')))).toBe(true);
    expect(big.contents!.source!.length).toBeLessThan(readFileSync(join(FILES, 'big.txt')).length / 5);
    expect(file('/etc/motd.d/mantle.conf')).toEqual({
      overwrite: true,
      path: '/etc/motd.d/mantle.conf',
      append: [{ compression: '', source: 'data:,second%20line' }],
      contents: { compression: '', source: 'data:,built%20by%20mantle%3A%20100%25%20tested%0A' },
    });
    expect(c.storage!.directories).toEqual([
      { group: { id: 2000 }, path: '/etc/nats', user: { name: 'nats' }, mode: 0o750 },
    ]);
    expect(file('/etc/nats/nats-server.conf').mode).toBe(416);
    const nats = c.systemd!.units!.find((u) => u.name === 'nats.service')!;
    expect(nats.contents).toBe(readFileSync(join(FILES, 'nats.service'), 'utf8'));
    expect(nats.dropins).toEqual([
      {
        contents: '[Service]\nEnvironment=NATS_CONFIG=/etc/nats/nats-server.conf\n',
        name: '10-nats-env-override.conf',
      },
    ]);
    expect(c.systemd!.units![1]).toEqual({ mask: true, name: 'docker.service' });
    expect(c.passwd!.users![0]!.sshAuthorizedKeys).toEqual([
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyOne core@example',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyTwo ci@example',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyThree ci2@example',
    ]);
    expect(c.passwd!.users![1]).toEqual({
      groups: ['docker'],
      homeDir: '/var/lib/nats',
      name: 'nats',
      noCreateHome: true,
      passwordHash: '!',
      primaryGroup: 'nats',
      shell: '/sbin/nologin',
      system: true,
      uid: 2000,
    });
    expect(c.passwd!.groups).toEqual([{ gid: 2000, name: 'nats', system: true }]);
  });

  it.each(['sysext-remote.bu', 'sysext-local.bu', 'fcos-1.0.bu'])(
    '%s round-trips: render → parseIgnition gives the same config',
    (name) => {
      const { config } = translate(name);
      const text = renderIgnition(config);
      const back = parseIgnition(text, { source: `${name}.ign` });
      expect(back.warnings).toEqual([]);
      expect(back.config).toEqual(config);
      expect(renderIgnition(back.config)).toBe(text);
    },
  );

  it('translates fcos 1.0.0 to Ignition 3.0.0 with a decimal mode written as 420', () => {
    expect(renderIgnition(translate('fcos-1.0.bu').config)).toBe(
      '{"ignition":{"version":"3.0.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQFixture core@example"]}]},' +
        '"storage":{"files":[{"path":"/etc/hostname","contents":{"compression":"","source":"data:,fcos-node"},"mode":420}]}}',
    );
  });

  it('lets kola add its key and units on top of a translated config', () => {
    const base = translate('sysext-local.bu').config;
    const kola: IgnitionConfig = {
      ignition: { version: '3.3.0' },
      passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 AAAAKOLA kola@mantle'] }] },
      systemd: { units: [{ name: 'docker.service', mask: false }] },
    };
    const m = mergeIgnition(base, kola);
    expect(m.ignition.version).toBe('3.4.0');
    expect(m.passwd!.users![0]!.sshAuthorizedKeys).toHaveLength(4);
    expect(m.systemd!.units![1]).toEqual({ mask: false, name: 'docker.service' });
    expect(findIgnitionProblems(m)).toEqual([]);
  });
});

describe('bad Butane configs: every error names the line and the key', () => {
  const remote = read('sysext-remote.bu');

  it('refuses the published k3s snippet whose link carries file contents: no target, and an unused key', () => {
    // Butane: "Unused key contents" (a warning) and the link's missing target (an error).
    const e = failure(read('readme-k3s-broken.bu'), 'readme-k3s-broken.bu');
    expect(e.code).toBe('IGNITION_LINK_TARGET');
    expect(e.message).toBe('readme-k3s-broken.bu:7:7: storage.links[0]: a link needs a target');
    const strict = failure(read('readme-k3s-broken.bu'), 'readme-k3s-broken.bu', { strict: true });
    expect(strict.message).toContain(
      'readme-k3s-broken.bu:8:7: storage.links[0].contents: unknown key "contents" (ignored)',
    );
  });

  it('unknown variant', () => {
    const e = failure(remote.replace('variant: flatcar', 'variant: flatcat'));
    expect(e.code).toBe('IGNITION_UNKNOWN_VARIANT');
    expect(e.message).toBe('bad.bu:3:10: variant: unknown variant "flatcat"');
  });

  it('wrong types: a quoted mode and a non-boolean enabled', () => {
    const e = failure(
      remote.replace('mode: 0644', "mode: '0644'").replace('enabled: true', 'enabled: sometimes'),
    );
    expect(e.code).toBe('IGNITION_TYPE');
    expect(e.message).toContain(
      'bad.bu:21:13: storage.files[3].mode: expected an integer, got the string "0644"',
    );
    expect(e.message).toContain(
      'bad.bu:57:16: systemd.units[0].enabled: expected a boolean (true or false), got the string "sometimes"',
    );
  });

  it('bad base64 in a data URL source', () => {
    const e = failure(
      remote.replace(
        'source: https://releases.example.test/sysext/noop.conf',
        'source: "data:;base64,W1RyYW5zZmVyXQ=!"',
      ),
    );
    expect(e.code).toBe('IGNITION_DATA_URL');
    expect(e.message).toMatch(
      /^bad\.bu:19:17: storage\.files\[2\]\.contents\.source: invalid data URL .*bad base64 character "!"/,
    );
  });

  it('a remote source without a hash when hashes are required', () => {
    const e = failure(remote, 'bad.bu', { requireRemoteHash: true });
    expect(e.code).toBe('IGNITION_REMOTE_NO_HASH');
    expect(e.message).toBe(
      'bad.bu:19:17: storage.files[2].contents.source: remote source https://releases.example.test/sysext/noop.conf has no verification.hash',
    );
  });

  it('a malformed verification hash', () => {
    const e = failure(remote.replace(/sha256-[0-9a-f]+/, 'sha256-1234'));
    expect(e.code).toBe('IGNITION_HASH');
    expect(e.message).toMatch(
      /^bad\.bu:16:17: storage\.files\[1\]\.contents\.verification\.hash: a sha256 digest is 64 hex digits/,
    );
  });

  it('unknown keys, with a suggestion (a warning; fatal with --strict)', () => {
    const text = remote.replace('overwrite: true', 'overwite: true');
    expect(butaneToIgnition(text, { source: 'bad.bu', filesDir: FILES }).warnings).toEqual([
      'bad.bu:47:7: storage.links[2].overwite: unknown key "overwite" (ignored); did you mean "overwrite"?',
    ]);
    const e = failure(text, 'bad.bu', { strict: true });
    expect(e.message).toBe('bad.bu:47:7: storage.links[2].overwite: unknown key "overwite" (ignored)');
    expect(e.hint).toBe('did you mean "overwrite"?');
  });

  it('duplicate paths across files and links, naming the first one', () => {
    const e = failure(remote.replace('path: /etc/extensions/docker.raw', 'path: /etc/sysupdate.d/noop.conf'));
    expect(e.code).toBe('IGNITION_DUPLICATE');
    expect(e.message).toBe(
      'bad.bu:43:13: storage.links[1].path: path /etc/sysupdate.d/noop.conf is already used by storage.files[2] (line 17)',
    );
  });

  it('relative paths', () => {
    const e = failure(
      remote.replace('- path: /etc/sysupdate.d/noop.conf', '- path: etc/sysupdate.d/noop.conf'),
    );
    expect(e.code).toBe('IGNITION_PATH_RELATIVE');
    expect(e.message).toMatch(
      /^bad\.bu:17:13: storage\.files\[2\]\.path: path "etc\/sysupdate\.d\/noop\.conf" is relative/,
    );
  });

  it('a drop-in whose name does not end in .conf', () => {
    const e = failure(remote.replace('- name: sysext.conf', '- name: sysext'));
    expect(e.code).toBe('IGNITION_DROPIN_NAME');
    expect(e.message).toMatch(/^bad\.bu:64:17: systemd\.units\[1\]\.dropins\[1\]\.name:/);
  });
});

describe('cross-check with the real ignition-validate (Debian package "ignition")', () => {
  let tool: string;
  let dir: string;
  beforeAll(async () => {
    tool = await requireTool('ignition-validate', {
      debianPackage: 'ignition',
      purpose: 'cross-check rendered Ignition configs',
    });
    dir = mkdtempSync(join(tmpdir(), 'mantle-ign-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function validate(name: string, text: string): Promise<{ exitCode: number; output: string }> {
    const file = join(dir, name);
    writeFileSync(file, text);
    const r = await run(tool, [file], { timeoutMs: 30_000, reject: false });
    return { exitCode: r.exitCode ?? -1, output: `${r.stdout}${r.stderr}` };
  }

  // Ignition 2.14 stops at spec 3.3.0: a 3.4.0 config that uses nothing newer is checked as 3.3.0.
  function asAtMost33(config: IgnitionConfig): IgnitionConfig {
    if (config.ignition.version !== '3.4.0') return config;
    const lowered = { ...config, ignition: { ...config.ignition, version: '3.3.0' as const } };
    expect(findIgnitionProblems(lowered).filter((p) => p.severity === 'error')).toEqual([]);
    return lowered;
  }

  it.each(['sysext-remote.bu', 'sysext-local.bu', 'fcos-1.0.bu'])(
    'ignition-validate accepts what %s translates to',
    async (name) => {
      for (const compress of [true, false]) {
        const text = renderIgnition(asAtMost33(translate(name, { compress }).config));
        const r = await validate(`${name}.ign`, text);
        expect(r.output).toBe('');
        expect(r.exitCode).toBe(0);
      }
    },
  );

  it('ignition-validate accepts a kola-style merged config', async () => {
    const m = mergeIgnition(asAtMost33(translate('sysext-local.bu').config), {
      ignition: { version: '3.0.0' },
      passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 AAAAKOLA kola@mantle'] }] },
    });
    expect(await validate('merged.ign', renderIgnition(m))).toEqual({ exitCode: 0, output: '' });
  });

  const bad: [string, object][] = [
    ['relative path', { storage: { files: [{ path: 'etc/x' }] } }],
    ['unclean path', { storage: { directories: [{ path: '/etc/x/' }] } }],
    ['mode out of range', { storage: { files: [{ path: '/x', mode: 5000 }] } }],
    ['mode as a string', { storage: { files: [{ path: '/x', mode: '0644' }] } }],
    ['bad base64', { storage: { files: [{ path: '/x', contents: { source: 'data:;base64,bm90=*' } }] } }],
    [
      'unescaped space in a data URL',
      { storage: { files: [{ path: '/x', contents: { source: 'data:,a b' } }] } },
    ],
    ['bad percent escape', { storage: { files: [{ path: '/x', contents: { source: 'data:,a%zz' } }] } }],
    [
      'short hash',
      {
        storage: {
          files: [
            { path: '/x', contents: { source: 'https://a.test/x', verification: { hash: 'sha512-abc' } } },
          ],
        },
      },
    ],
    ['path without a scheme', { storage: { files: [{ path: '/x', contents: { source: '/tmp/x' } }] } }],
    [
      'gs before 3.2',
      {
        ignition: { version: '3.1.0' },
        storage: { files: [{ path: '/x', contents: { source: 'gs://b/o' } }] },
      },
    ],
    [
      'headers on s3',
      {
        storage: {
          files: [{ path: '/x', contents: { source: 's3://b/o', httpHeaders: [{ name: 'a', value: 'b' }] } }],
        },
      },
    ],
    [
      'file and link on one path',
      { storage: { files: [{ path: '/x' }], links: [{ path: '/x', target: '/y' }] } },
    ],
    ['file under a link', { storage: { files: [{ path: '/l/x' }], links: [{ path: '/l', target: '/y' }] } }],
    ['link without target', { storage: { links: [{ path: '/l' }] } }],
    ['overwrite without contents', { storage: { files: [{ path: '/x', overwrite: true }] } }],
    ['unit without a type suffix', { systemd: { units: [{ name: 'foo' }] } }],
    [
      'drop-in not ending in .conf',
      { systemd: { units: [{ name: 'a.service', dropins: [{ name: 'x' }] }] } },
    ],
    ['duplicate SSH key', { passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['a', 'a'] }] } }],
    ['unsupported version', { ignition: { version: '2.3.0' } }],
    [
      'a unit line outside key=value',
      { systemd: { units: [{ name: 'a.service', contents: '[Unit]\nfoo' }] } },
    ],
    ['an unclosed unit section', { systemd: { units: [{ name: 'a.service', contents: '[Unit\nA=b\n' }] } }],
    [
      'a filesystem path without a format',
      { storage: { filesystems: [{ device: '/dev/vda1', path: '/mnt' }] } },
    ],
    [
      'an unknown RAID level',
      { storage: { raid: [{ name: 'md0', level: 'raid7', devices: ['/dev/a', '/dev/b'] }] } },
    ],
    ['a LUKS volume without a device', { storage: { luks: [{ name: 'root' }] } }],
    [
      'colliding partition numbers',
      { storage: { disks: [{ device: '/dev/a', partitions: [{ number: 1 }, { number: 1 }] }] } },
    ],
    [
      'a kernel argument both wanted and not',
      { kernelArguments: { shouldExist: ['a'], shouldNotExist: ['a'] } },
    ],
  ];

  let samePathSameLine = 0;
  it.each(bad)('both refuse: %s', async (what, rest) => {
    const text = JSON.stringify({ ignition: { version: '3.3.0' }, ...rest }, null, 2);
    const r = await validate('bad.ign', text);
    expect(r.exitCode, `ignition-validate on ${what}: ${r.output}`).not.toBe(0);
    expect(() => parseIgnition(text, { source: 'bad.ign' })).toThrow(InputError);
    try {
      parseIgnition(text, { source: 'bad.ign' });
    } catch (err) {
      // Ours names the line too, as ignition-validate does ("error at $.a.b.0.c, line N col M");
      // where both blame the same JSON path, they must blame the same line.
      expect((err as Error).message).toMatch(/^bad\.ign:\d+:\d+: /);
      const theirs = /error at \$\.([\w.]+), line (\d+) col/.exec(r.output);
      if (theirs) {
        const path = theirs[1]!.replace(/\.(\d+)/g, '[$1]');
        if ((err as Error).message.includes(`: ${path}: `)) {
          samePathSameLine++;
          expect((err as Error).message.startsWith(`bad.ign:${theirs[2]}:`)).toBe(true);
        }
      }
    }
  });

  // What Ignition only warns about ("warning at $.path"): ours warns at the same path, keeps the
  // rest of the config, and refuses it only with --strict.
  const warned: [string, object, string][] = [
    [
      'an unknown key',
      { passwd: { users: [{ name: 'core', ssh_authorized_keys: ['k'] }] } },
      'passwd.users[0].ssh_authorized_keys',
    ],
    ['an unknown top-level key', { foo: 1 }, 'foo'],
    [
      'a key newer than the declared version',
      { ignition: { version: '3.2.0' }, kernelArguments: { shouldExist: ['quiet'] } },
      'kernelArguments',
    ],
    [
      'Butane sugar in Ignition JSON',
      { storage: { files: [{ path: '/x', contents: { inline: 'hi' } }] } },
      'storage.files[0].contents.inline',
    ],
    [
      'setuid bits before spec 3.4.0',
      { storage: { files: [{ path: '/x', mode: 0o4755 }] } },
      'storage.files[0].mode',
    ],
    [
      'an enabled unit without [Install]',
      {
        systemd: {
          units: [{ name: 'a.service', enabled: true, contents: '[Service]\nExecStart=/bin/true\n' }],
        },
      },
      'systemd.units[0].contents',
    ],
  ];
  it.each(warned)('both warn and go on: %s', async (what, rest, path) => {
    const text = JSON.stringify({ ignition: { version: '3.3.0' }, ...rest });
    const r = await validate('warn.ign', text);
    expect(r.exitCode, `ignition-validate on ${what}: ${r.output}`).toBe(0);
    expect(r.output).toMatch(
      new RegExp(`^warning at \\$\\.${path.replace(/\[(\d+)\]/g, '.$1').replace(/\./g, '\\.')},`),
    );
    const ours = findIgnitionProblems(parseIgnition(text, { source: 'warn.ign' }).config);
    expect(ours.filter((p) => p.severity === 'error')).toEqual([]);
    const warnings = parseIgnition(text, { source: 'warn.ign' }).warnings;
    expect(warnings.some((w) => w.startsWith(`warn.ign:1:`) && w.includes(`: ${path}: `))).toBe(true);
    expect(() => parseIgnition(text, { source: 'warn.ign', strict: true })).toThrow(InputError);
  });

  // What Ignition accepts without a word: ours may add a notice, never a warning --strict refuses.
  const quiet: [string, object][] = [
    ['a user without a name', { passwd: { users: [{ uid: 5 }] } }],
    [
      'a hard link with an owner',
      { storage: { links: [{ path: '/l', target: '/t', hard: true, user: { id: 0 } }] } },
    ],
    [
      'a unit setting before any section',
      { systemd: { units: [{ name: 'a.service', contents: 'Description=x' }] } },
    ],
    [
      'an http source without a hash',
      { storage: { files: [{ path: '/x', contents: { source: 'http://a.test/x' } }] } },
    ],
  ];
  it.each(quiet)('both accept: %s', async (what, rest) => {
    const text = JSON.stringify({ ignition: { version: '3.3.0' }, ...rest });
    expect(await validate('ok.ign', text), what).toEqual({ exitCode: 0, output: '' });
    expect(() => parseIgnition(text, { source: 'ok.ign', strict: true })).not.toThrow();
  });

  it('blames the same path and line as ignition-validate for most bad configs', () => {
    // The rest: ours points at the offending key (path) where Ignition names the entry, or Ignition names no path.
    expect(samePathSameLine).toBeGreaterThanOrEqual(bad.length - 5);
  });
});
