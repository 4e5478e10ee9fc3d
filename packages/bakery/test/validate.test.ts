import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bakery, exec, makeTree, requireBuilt, sampleTree, tempDirs } from './helpers.js';

// Cross-checks `bakery validate` with the real thing: systemd-dissect reads the same metadata, and
// systemd-sysext merges the images into a temp root inside a private mount namespace; validate's
// verdict must match which extensions' files appear in the merged /usr.

const tmp = tempDirs();
let root: string;
const OS_RELEASE = 'ID=flatcar\nVERSION_ID=3815.2.0\nSYSEXT_LEVEL=1.0\n';

interface Case {
  tag: string;
  /** the file name in /etc/extensions */
  placed: string;
  flags: string[];
  mergeable: boolean;
  code?: string;
}
const cases: Case[] = [
  { tag: 'anyos', placed: 'anyos.raw', flags: [], mergeable: true },
  { tag: 'flat', placed: 'flat.raw', flags: ['--os', 'flatcar'], mergeable: true },
  {
    tag: 'flatver',
    placed: 'flatver.raw',
    flags: ['--os', 'flatcar', '--version-id', '3815.2.0'],
    mergeable: true,
  },
  {
    tag: 'fed',
    placed: 'fed.raw',
    flags: ['--os', 'fedora', '--version-id', '39'],
    mergeable: false,
    code: 'ID_MISMATCH',
  },
  { tag: 'armx', placed: 'armx.raw', flags: ['--arch', 'arm64'], mergeable: false, code: 'ARCH_MISMATCH' },
  {
    tag: 'lvl2',
    placed: 'lvl2.raw',
    flags: ['--os', 'flatcar', '--sysext-level', '2.0'],
    mergeable: false,
    code: 'SYSEXT_LEVEL_MISMATCH',
  },
  {
    tag: 'docker',
    placed: 'docker-24.0-x86-64.raw',
    flags: ['--version', '24.0'],
    mergeable: false,
    code: 'NAME_MISMATCH',
  },
];

beforeAll(async () => {
  await requireBuilt();
  const work = await tmp.make('validate');
  root = join(work, 'root');
  await mkdir(join(root, 'usr/lib'), { recursive: true });
  await mkdir(join(root, 'etc/extensions'), { recursive: true });
  await writeFile(join(root, 'usr/lib/os-release'), OS_RELEASE);
  for (const c of cases) {
    const src = await makeTree(join(work, `src-${c.tag}`), {
      [`usr/share/bakery-test/${c.tag}`]: `${c.tag}\n`,
      'usr/bin/hello': sampleTree('x')['usr/bin/hello']!,
    });
    const out = join(work, `out-${c.tag}`);
    const r = await bakery(['create', c.tag, '--from', src, '--out', out, '--json', ...c.flags]);
    if (r.code !== 0) throw new Error(r.stderr);
    await copyFile((JSON.parse(r.stdout) as { path: string }).path, join(root, 'etc/extensions', c.placed));
  }
});
afterAll(() => tmp.cleanup());

describe('bakery validate vs systemd', () => {
  it('agrees with a real systemd-sysext merge in a private mount namespace', async () => {
    // systemd 252 fails the whole merge on an image whose metadata name does not match; merge
    // once with it (must fail, naming it), then without it (the compatible ones merge).
    const script = [
      'R="$1"',
      'mount -t tmpfs tmpfs /run || exit 1',
      'mount --bind "$R" "$R" && mount --make-shared "$R" || exit 1',
      'if SYSTEMD_SYSEXT_HIERARCHIES=/usr systemd-sysext merge --root="$R" 2>"$R/first.err"; then echo FIRST-MERGED; SYSTEMD_SYSEXT_HIERARCHIES=/usr systemd-sysext unmerge --root="$R"; fi',
      'mkdir -p "$R/aside" && mv "$R/etc/extensions/docker-24.0-x86-64.raw" "$R/aside/"',
      'SYSTEMD_SYSEXT_HIERARCHIES=/usr systemd-sysext merge --root="$R" >&2',
      'ls "$R/usr/share/bakery-test" 2>/dev/null',
      'SYSTEMD_SYSEXT_HIERARCHIES=/usr systemd-sysext unmerge --root="$R" >&2',
      'mv "$R/aside/docker-24.0-x86-64.raw" "$R/etc/extensions/"',
      'umount "$R"',
    ].join('\n');
    const r = await exec('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('FIRST-MERGED');
    expect(await readFile(join(root, 'first.err'), 'utf8')).toContain('docker-24.0-x86-64');
    const merged = r.stdout.split('\n').filter(Boolean).sort();
    expect(merged).toEqual(
      cases
        .filter((c) => c.mergeable)
        .map((c) => c.tag)
        .sort(),
    );

    for (const c of cases) {
      const v = await bakery([
        'validate',
        join(root, 'etc/extensions', c.placed),
        '--against',
        join(root, 'usr/lib/os-release'),
        '--json',
      ]);
      expect(v.code, `${c.tag}: ${v.stderr}`).toBe(c.mergeable ? 0 : 1);
      const verdict = JSON.parse(v.stdout) as {
        mergeable: boolean;
        reasons: { code: string; hint?: string }[];
      };
      expect(verdict.mergeable).toBe(c.mergeable);
      if (c.code) expect(verdict.reasons.map((x) => x.code)).toEqual([c.code]);
    }
    // nothing leaked into the host's mount table
    expect((await exec('findmnt', ['-rn', '-o', 'TARGET'])).stdout).not.toContain(root);
  });

  it('reads the same metadata systemd-dissect reads', async () => {
    for (const c of cases) {
      const img = join(root, 'etc/extensions', c.placed);
      const d = await exec('systemd-dissect', ['--json=short', img]);
      expect(d.code, d.stderr).toBe(0);
      const dissect = JSON.parse(d.stdout) as {
        useSystemExtension: boolean;
        extensionRelease?: string[];
        mounts: { fstype: string }[];
      };
      const ins = JSON.parse((await bakery(['inspect', img, '--json'])).stdout) as {
        imageName: string;
        format: string;
        metadata: { name: string; fields: Record<string, string> }[];
      };
      expect(ins.format).toBe(dissect.mounts[0]!.fstype);
      const own = ins.metadata.find((m) => m.name === ins.imageName);
      expect(dissect.useSystemExtension).toBe(own !== undefined);
      if (own)
        expect(dissect.extensionRelease).toEqual(Object.entries(own.fields).map(([k, v]) => `${k}=${v}`));
    }
  });

  it('explains the versioned-name trap with the symlink fix, and accepts the image through that symlink', async () => {
    const placed = join(root, 'etc/extensions/docker-24.0-x86-64.raw');
    const v = await bakery(['validate', placed, '--os', 'flatcar', '--sysext-level', '1.0']);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(
      'systemd looks for usr/lib/extension-release.d/extension-release.docker-24.0-x86-64, but the image carries extension-release.docker',
    );
    expect(v.stdout).toContain('/etc/extensions/docker.raw');
    const link = join(await tmp.make('link'), 'docker.raw');
    await exec('ln', ['-s', placed, link]);
    expect((await bakery(['validate', link, '--os', 'flatcar', '--sysext-level', '1.0'])).code).toBe(0);
    expect(
      (await bakery(['validate', placed, '--os', 'flatcar', '--sysext-level', '1.0', '--name', 'docker']))
        .code,
    ).toBe(0);
  });

  it('exits 2 for bad input', async () => {
    const img = join(root, 'etc/extensions/anyos.raw');
    const cases2: [string[], RegExp][] = [
      [['validate', join(root, 'usr/lib/os-release'), '--os', 'flatcar'], /is not a sysext image/],
      [['validate', img], /--against OS_RELEASE_FILE or --os ID/],
      [['validate', img, '--against', join(root, 'nope')], /--against .*nope/],
      [['validate', img, '--os', 'x', '--arch', 'vax'], /--arch "vax"/],
      [['inspect', join(root, 'nope.raw')], /nope.raw/],
    ];
    for (const [args, msg] of cases2) {
      const r = await bakery(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});
