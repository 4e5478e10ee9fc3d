import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, makeDecoy, snapshot, ustar, type TarEntry } from './hostile-helpers.js';
import { bakery, exec, ls, requireBuilt, tempDirs } from './helpers.js';
import { sha256, startFixtureServer, type FixtureServer } from './recipe-server.js';

// Hostile recipes through the real bin, as root: YAML recipes whose downloads (hand-made tar
// archives served from a local HTTP server) or fields try to read, write or chmod host files.
// The decoy directory stands for the host; every case asserts a refusal (exit 2, the entry
// named) and that the decoy and the output directory are exactly as before.

const tmp = tempDirs();
let work: string;
let decoy: string;
let server: FixtureServer;
const files = new Map<string, Buffer>();
/** `../` enough times to climb out of any scratch directory, then the decoy's absolute path. */
let climb: string;

interface RecipeParts {
  downloads?: Record<string, unknown>[];
  files: Record<string, unknown>[];
  links?: Record<string, unknown>[];
  units?: Record<string, string>;
}

/** Serve `archive` and write a recipe YAML (JSON is YAML) pinning its sha256; returns the recipe path. */
async function recipe(name: string, archive: Buffer | undefined, parts: RecipeParts): Promise<string> {
  const path = `/${name}.tar`;
  if (archive) files.set(path, archive);
  const pin = { pinned: { '1.0': { 'x86-64': sha256(archive ?? '') } } };
  const r = {
    name,
    description: 'hostile',
    versions: { example: '1.0' },
    arches: ['x86-64'],
    downloads: parts.downloads ?? [{ id: 'dl', url: `${server.url}${path}`, checksum: pin }],
    files: parts.files,
    ...(parts.links ? { links: parts.links } : {}),
    ...(parts.units ? { units: parts.units } : {}),
  };
  const file = join(work, `${name}.yaml`);
  await writeFile(file, JSON.stringify(r, null, 2));
  return file;
}

let out: string;
let before: string[];

async function create(file: string, ...extra: string[]) {
  return bakery(['create', '--recipe', file, '--version', '1.0', '--out', out, ...extra]);
}

/** The decoy is unchanged and nothing is left in the output directory. */
async function untouched(): Promise<void> {
  expect(await snapshot(decoy)).toEqual(before);
  expect(await ls(out)).toEqual([]);
}

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('hostile-recipes');
  decoy = await makeDecoy(work);
  climb = `${'../'.repeat(24)}${decoy.slice(1)}`;
  server = await startFixtureServer(files);
});
afterAll(async () => {
  await server.close();
  await tmp.cleanup();
});
beforeEach(async () => {
  out = await tmp.make('out');
  before = await snapshot(decoy);
});

const tool: TarEntry = { name: 'bin/tool', type: 'file', content: '#!/bin/sh\necho tool\n', mode: 0o755 };

describe('hostile recipes (real bin, tarballs from a local HTTP server, as root)', () => {
  it('refuses a downloads[].file that climbs out, is absolute or comes from a %2F in the URL', async () => {
    const archive = ustar([tool]);
    for (const [name, file, named] of [
      ['dotdot', `${climb}/pwned`, 'downloads.dl.file'],
      ['absolute', `${decoy}/pwned`, "contains '/'"],
    ] as const) {
      const r = await create(
        await recipe(name, archive, {
          downloads: [
            {
              id: 'dl',
              url: `${server.url}/${name}.tar`,
              file,
              extract: 'tar',
              checksum: { pinned: { '1.0': { 'x86-64': sha256(archive) } } },
            },
          ],
          files: [{ from: 'dl:bin/tool', to: 'usr/bin/tool' }],
        }),
      );
      expectRefused(r, named, 'is not a plain file name');
      await untouched();
    }
    files.set('/x/..%2F..%2F..%2Fpwned.tar', archive);
    const enc = await create(
      await recipe('encoded', undefined, {
        downloads: [
          {
            id: 'dl',
            url: `${server.url}/x/..%2F..%2F..%2Fpwned.tar`,
            checksum: { pinned: { '1.0': { 'x86-64': sha256(archive) } } },
          },
        ],
        files: [{ from: 'dl:bin/tool', to: 'usr/bin/tool' }],
      }),
    );
    expectRefused(enc, 'the file name of', '(set downloads.dl.file)');
    await untouched();
  });

  it('never writes a unit through a link of the same path or below a linked directory', async () => {
    const archive = ustar([tool]);
    const same = await create(
      await recipe('unit-over-link', archive, {
        files: [{ from: 'dl:bin/tool', to: 'usr/bin/tool' }],
        links: [{ path: 'usr/lib/systemd/system/evil.service', target: join(decoy, 'keep.conf') }],
        units: { 'usr/lib/systemd/system/evil.service': '[Service]\nExecStart=/bin/true\n' },
      }),
    );
    expectRefused(same, 'units', 'usr/lib/systemd/system/evil.service already exists');
    await untouched();
    const below = await create(
      await recipe('unit-below-link', archive, {
        files: [{ from: 'dl:bin/tool', to: 'usr/bin/tool' }],
        links: [{ path: 'usr/lib/systemd/system', target: decoy }],
        units: { 'usr/lib/systemd/system/new.service': '[Service]\nExecStart=/bin/true\n' },
      }),
    );
    expectRefused(below, 'usr/lib/systemd/system is a symbolic link', `(to ${decoy})`);
    await untouched();
  });

  it('never reads, writes or chmods through a link the archive carries', async () => {
    // read: files[].from through an archive's link to a host directory
    const read = await create(
      await recipe('read-through-link', ustar([{ name: 'lnk', type: 'symlink', link: decoy }, tool]), {
        files: [{ from: 'dl:lnk/secret.txt', to: 'usr/share/x/secret.txt' }],
      }),
    );
    expectRefused(read, 'lnk is a symbolic link', 'lnk/secret.txt');
    await untouched();
    // write: a directory link copied into the tree, then a setuid file placed through it
    const write = await create(
      await recipe('write-through-link', ustar([{ name: 'd', type: 'symlink', link: decoy }, tool]), {
        files: [
          { from: 'dl:d', to: 'usr/share/d' },
          { from: 'dl:bin/tool', to: 'usr/share/d/pwned', mode: '4755' },
        ],
      }),
    );
    expectRefused(write, 'usr/share/d is a symbolic link');
    await untouched();
    // chmod: a mode on an archive member that is a link to a host file
    const chmod = await create(
      await recipe(
        'chmod-through-link',
        ustar([{ name: 'f', type: 'symlink', link: join(decoy, 'keep.conf') }, tool]),
        { files: [{ from: 'dl:f', to: 'usr/bin/f', mode: '0777' }] },
      ),
    );
    expectRefused(chmod, 'f is a symbolic link', 'mode 777 cannot be set');
    await untouched();
  });

  it('refuses archives with devices, FIFOs, .. and absolute members, members below a link, and hard links out', async () => {
    const cases: [string, TarEntry[], string[]][] = [
      [
        'chardev',
        [tool, { name: 'dev/mem', type: 'char', major: 1, minor: 1 }],
        ['dev/mem is a character device'],
      ],
      ['blockdev', [tool, { name: 'sda', type: 'block', major: 8, minor: 0 }], ['sda is a block device']],
      ['fifo', [tool, { name: 'bin/pipe', type: 'fifo' }], ['bin/pipe is a FIFO']],
      [
        'dotdot',
        [tool, { name: '../../../pwned', type: 'file', content: 'x' }],
        ["contains '..'", '../../../pwned'],
      ],
      ['absolute', [tool, { name: `${decoy}/pwned`, type: 'file', content: 'x' }], ['is an absolute path']],
      [
        'below-link',
        [
          tool,
          { name: 'lnk', type: 'symlink', link: decoy },
          { name: 'lnk/pwned', type: 'file', content: 'x' },
        ],
        ['archive member lnk/pwned lies below lnk, which is a symbolic link'],
      ],
      [
        'hardlink-out',
        [tool, { name: 'bin/h', type: 'hardlink', link: join(decoy, 'secret.txt') }],
        ['bin/h (hard link target)', 'is an absolute path'],
      ],
      [
        'hardlink-up',
        [tool, { name: 'bin/h', type: 'hardlink', link: '../../secret.txt' }],
        ['bin/h (hard link target)', "contains '..'"],
      ],
    ];
    for (const [name, entries, named] of cases) {
      const r = await create(
        await recipe(`archive-${name}`, ustar(entries), { files: [{ from: 'dl:bin/', to: 'usr/bin/' }] }),
      );
      expectRefused(r, `archive-${name}.tar (from ${server.url}/archive-${name}.tar)`, ...named);
      await untouched();
    }
  });

  it("drops an archive's setuid bits, refuses a recipe that asks for them, and keeps links as links", async () => {
    const archive = ustar([
      { name: 'bin/su', type: 'file', content: '#!/bin/sh\n', mode: 0o4755 },
      { name: 'bin/host-link', type: 'symlink', link: join(decoy, 'secret.txt') },
    ]);
    const asked = await create(
      await recipe('setuid-asked', archive, {
        files: [{ from: 'dl:bin/su', to: 'usr/bin/su', mode: '4755' }],
      }),
    );
    expectRefused(asked, 'usr/bin/su', 'is setuid (mode 4755)');
    await untouched();
    const r = await create(
      await recipe('setuid-archive', archive, { files: [{ from: 'dl:bin/', to: 'usr/bin/' }] }),
    );
    expect(r.code, r.stderr).toBe(0);
    const img = join(out, 'setuid-archive-1.0-x86-64.raw');
    const listing = (await exec('unsquashfs', ['-lln', '-d', '', img])).stdout;
    expect(listing).toMatch(/-rwxr-xr-x 0\/0 .* \/usr\/bin\/su\n/);
    // the link is in the image as a link; the secret it points at is not
    expect(listing).toContain(`/usr/bin/host-link -> ${join(decoy, 'secret.txt')}`);
    expect((await exec('unsquashfs', ['-cat', img, 'usr/bin/host-link'])).stdout).not.toContain(
      'host secret',
    );
    expect(await snapshot(decoy)).toEqual(before);
  });
});
