// plume publish-image / list-images into a file:// store, s3rver and Azurite; the published image
// is checked with the real lz4 and md5sum, and the rootfs tarball is made by the real tar.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '@mantle/ore/storage';
import { runPlume } from './helpers/run.js';
import { AZURITE_ACCOUNT, startStores, type Stores } from './helpers/stores.js';

let dir: string;
let rootfsTar: string;
let stores: Stores;

const STATUS = `Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u8
Description: Debian base system miscellaneous files

Package: systemd
Status: install ok installed
Architecture: amd64
Version: 252.33-1~deb12u1
Description: system and service manager
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plume-images-'));
  const root = join(dir, 'rootfs');
  await mkdir(join(root, 'var/lib/dpkg'), { recursive: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'usr/lib', 'd'.repeat(90), 'e'.repeat(40)), { recursive: true });
  await writeFile(join(root, 'var/lib/dpkg/status'), STATUS);
  await writeFile(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\n');
  // a long path (pax/GNU long names) and enough data for several 4 MiB lz4 blocks, part of it incompressible
  await writeFile(join(root, 'usr/lib', 'd'.repeat(90), 'e'.repeat(40), 'blob.bin'), randomBytes(5 << 20));
  await writeFile(join(root, 'usr/lib/zeros.bin'), Buffer.alloc(7 << 20));
  rootfsTar = join(dir, 'rootfs.tar');
  execFileSync('tar', ['--format=pax', '-cf', rootfsTar, '-C', root, '.']);
  stores = await startStores({ buckets: ['images'], containers: ['images'] });
}, 120_000);

afterAll(async () => {
  await stores?.close();
  await rm(dir, { recursive: true, force: true });
});

const publish = (dest: string, ...more: string[]) =>
  runPlume(
    [
      'publish-image',
      rootfsTar,
      dest,
      '--os',
      'debian',
      '--version',
      '12.0.20261207',
      '--json',
      ...stores.flags,
      ...more,
    ],
    {
      env: stores.env,
    },
  );

async function read(store: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const dests = [
  { name: 'file://', url: () => pathToFileURL(join(dir, 'store')).href + '/' },
  { name: 's3:// (s3rver)', url: () => 's3://images/metal-os/' },
  { name: 'azure:// (Azurite)', url: () => `azure://${AZURITE_ACCOUNT}/images/metal-os/` },
];

describe.each(dests)('plume publish-image to $name', (d) => {
  it('writes img.tar.lz4 (lz4 -d gives the tarball back), its md5 file, packages.txt and index pages', async () => {
    const r = await publish(d.url(), '--root', 'release');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as {
      image: { key: string; md5: string; bytes: number };
      packages: { count: number; from: string };
    };
    expect(res.image.key).toBe('20261207/debian/12.0/img.tar.lz4');
    expect(res.packages).toMatchObject({ from: 'dpkg', count: 2 });

    const store = await stores.open(d.url());
    try {
      const img = await read(store, res.image.key);
      expect(img.length).toBe(res.image.bytes);
      const local = join(dir, `${d.name.slice(0, 2)}.tar.lz4`);
      await writeFile(local, img);
      // the real lz4 reads it, and gives back the very tarball
      const back = execFileSync('lz4', ['-d', '-c', local], { maxBuffer: 64 << 20 });
      expect(back.equals(await readFile(rootfsTar))).toBe(true);
      const md5file = (await read(store, '20261207/debian/12.0/img.tar.lz4.md5')).toString();
      expect(md5file).toBe(`${res.image.md5}  img.tar.lz4\n`);
      expect(execFileSync('md5sum', [local]).toString().split(' ')[0]).toBe(res.image.md5);
      const pkgs = (await read(store, '20261207/debian/12.0/packages.txt')).toString();
      expect(pkgs).toMatch(/^ii {2}systemd +252\.33-1~deb12u1 +amd64 +system and service manager$/m);
      // the index shows the image
      const page = (await read(store, '20261207/debian/12.0/index.html')).toString();
      expect(page).toContain('href="img.tar.lz4"');
      expect((await read(store, 'index.html')).toString()).toContain('href="20261207/index.html"');
    } finally {
      await store.close();
    }
  });

  it('list-images lists it; a rerun gives the same bytes', async () => {
    await publish(d.url(), '--root', 'stable', '--no-index');
    const again = await publish(d.url(), '--root', 'release');
    expect(again.code).toBe(0);
    const l = await runPlume(['list-images', d.url(), '--json', ...stores.flags], { env: stores.env });
    expect(l.code).toBe(0);
    const rows = JSON.parse(l.stdout) as { id: string; root: string; md5: string; hasPackages: boolean }[];
    expect(rows.map((x) => `${x.root} ${x.id} ${x.hasPackages}`)).toEqual([
      '20261207 debian-12.0.20261207 true',
      'stable debian-12.0 true',
    ]);
    expect(rows[0]!.md5).toBe(rows[1]!.md5); // lz4 output is deterministic
  });
});

describe('plume publish-image refuses bad input before anything is published', () => {
  const dest = () => pathToFileURL(join(dir, 'bad-store')).href;
  /** every file in the store, temp files included */
  const filesInStore = async (): Promise<string[]> => {
    const root = join(dir, 'bad-store');
    if (!existsSync(root)) return [];
    const all = await readdir(root, { recursive: true });
    const files: string[] = [];
    for (const f of all) if ((await stat(join(root, f))).isFile()) files.push(f);
    return files;
  };

  it('a file that is not a tarball: exit 2, nothing in the store', async () => {
    const notTar = join(dir, 'disk.img');
    await writeFile(notTar, randomBytes(1 << 20));
    const r = await runPlume([
      'publish-image',
      notTar,
      dest(),
      '--os',
      'debian',
      '--version',
      '12.0.20261207',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/disk\.img is not a tar archive/);
    expect(await filesInStore()).toEqual([]);
  });

  it('a truncated compressed tarball fails mid-stream: exit 1/2, no image under its name', async () => {
    const gz = join(dir, 'rootfs.tar.gz');
    execFileSync('gzip', ['-k', '-f', rootfsTar]);
    const full = await readFile(gz);
    await writeFile(gz, full.subarray(0, Math.floor(full.length / 2)));
    const r = await runPlume(['publish-image', gz, dest(), '--os', 'debian', '--version', '12.0.20261207']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/rootfs\.tar\.gz/);
    expect(await filesInStore()).toEqual([]);
  });

  it('bad --version, --root, --os: exit 2 naming the flag', async () => {
    for (const [flag, value, re] of [
      ['--version', '12', /--version 12: expected MAJOR\.MINOR\.YYYYMMDD/],
      ['--root', 'nightly', /--root "nightly": not an image store root/],
      ['--os', 'Debian!', /--os "Debian!"/],
    ] as const) {
      const args = { '--version': '12.0.20261207', '--root': 'stable', '--os': 'debian', [flag]: value };
      const r = await runPlume(['publish-image', rootfsTar, dest(), ...Object.entries(args).flat()]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    }
  });
});
