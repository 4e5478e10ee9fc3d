import { execFileSync } from 'node:child_process';
import { copyFile, link, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, makeDecoy, snapshot } from './hostile-helpers.js';
import { bakery, exec, ls, makeTree, requireBuilt, tempDirs } from './helpers.js';

// Hostile root filesystems for flix and flatwrap through the real bin, as root: ELF headers and
// links that name host paths, devices, FIFOs, hard links and control characters. Reading stays
// inside the root filesystem, writing inside the sysext tree; each case is refused (exit 2, the
// entry named) and leaves the decoy (standing for the host) and the output directory as they were.

const tmp = tempDirs();
let work: string;
let decoy: string;
let before: string[];

/** A root filesystem with this host's b2sum and glibc (what flix.test.ts uses), plus `extra`. */
async function flixRoot(name: string, extra: (root: string) => void | Promise<void> = () => undefined) {
  const root = join(work, name);
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await mkdir(join(root, 'lib/x86_64-linux-gnu'), { recursive: true });
  await mkdir(join(root, 'lib64'), { recursive: true });
  await copyFile('/usr/bin/b2sum', join(root, 'usr/bin/b2sum'));
  for (const lib of ['libc.so.6', 'ld-linux-x86-64.so.2'])
    await copyFile(`/lib/x86_64-linux-gnu/${lib}`, join(root, 'lib/x86_64-linux-gnu', lib));
  await symlink('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', join(root, 'lib64/ld-linux-x86-64.so.2'));
  await makeTree(root, {
    'etc/ld.so.conf.d/multiarch.conf': '/lib/x86_64-linux-gnu\n',
    'usr/share/a/f': 'f\n',
  });
  await extra(root);
  return root;
}

/** A root filesystem with the static busybox (what flatwrap.test.ts uses), plus `extra`. */
async function busyRoot(name: string, extra: (root: string) => void | Promise<void> = () => undefined) {
  const root = join(work, name);
  await mkdir(join(root, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await exec('chmod', ['755', join(root, 'bin/busybox')]);
  await makeTree(root, { 'usr/lib/systemd/system/ok.service': '[Service]\nExecStart=/bin/busybox true\n' });
  await extra(root);
  return root;
}

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('hostile-rootfs');
  decoy = await makeDecoy(work);
});
afterAll(() => tmp.cleanup());
beforeEach(async () => {
  before = await snapshot(decoy);
});

async function untouched(out: string): Promise<void> {
  expect(await snapshot(decoy)).toEqual(before);
  expect(await ls(out)).toEqual([]);
}

describe('hostile root filesystems for flix (real patchelf, as root)', () => {
  it('refuses a DT_NEEDED entry that names a host path (the library was copied there 0755)', async () => {
    const needed = `${'../'.repeat(12)}${decoy.slice(1)}/pwned.so`;
    const root = await flixRoot('needed', async (r) => {
      await copyFile('/usr/bin/b2sum', join(r, 'usr/bin/evil'));
      execFileSync('patchelf', ['--add-needed', needed, join(r, 'usr/bin/evil')]);
      // the library exists where the rootfs-relative lookup finds it, so only the name is wrong
      await makeTree(r, { [`${decoy.slice(1)}/pwned.so`]: 'attacker library\n' });
    });
    const out = await tmp.make('flix-out');
    const r = await bakery(['flix', root, 'evil', '/usr/bin/evil', '--out', out]);
    expectRefused(r, '/usr/bin/evil: needed library (DT_NEEDED)', needed, 'is not a plain file name');
    await untouched(out);
  });

  it('follows rootfs links only inside the rootfs, and never writes through a link it copied', async () => {
    const root = await flixRoot('links', async (r) => {
      await symlink(decoy, join(r, 'usr/share/abs')); // absolute: means the rootfs' own path
      await symlink(`${'../'.repeat(12)}${decoy.slice(1)}`, join(r, 'usr/share/rel'));
      await symlink(decoy, join(r, 'usr/share/a/lnk')); // copied into the tree as a link
    });
    const out = await tmp.make('flix-out');
    for (const p of ['/usr/share/abs/secret.txt', '/usr/share/rel/secret.txt']) {
      const r = await bakery(['flix', root, 'x', p, '--out', out]);
      expectRefused(r, `${p}: ${p} does not exist in ${root}`);
    }
    const w = await bakery([
      'flix',
      root,
      'x',
      '/usr/share/a',
      '/usr/bin/b2sum:/usr/share/a/lnk/pwned',
      '--out',
      out,
    ]);
    expectRefused(w, 'usr/share/a/lnk is a symbolic link', `(to ${decoy})`);
    await untouched(out);
  });

  it('refuses devices in a copied directory and a FIFO as ld.so.conf, without opening them', async () => {
    const dev = await flixRoot('dev', (r) => {
      execFileSync('mknod', [join(r, 'usr/share/a/sda'), 'b', '8', '0']);
    });
    const out = await tmp.make('flix-out');
    expectRefused(
      await bakery(['flix', dev, 'x', '/usr/share/a', '--out', out]),
      'usr/share/a/sda is a block device',
    );
    const fifo = await flixRoot('fifo', (r) => {
      execFileSync('mkfifo', [join(r, 'etc/ld.so.conf')]);
    });
    expectRefused(
      await bakery(['flix', fifo, 'x', '/usr/bin/b2sum', '--out', out]),
      'etc/ld.so.conf is a FIFO',
    );
    await untouched(out);
  });
});

describe('hostile root filesystems for flatwrap (as root)', () => {
  it('reads units only inside the rootfs and refuses FIFOs, devices and control characters', async () => {
    const root = await busyRoot('fw', async (r) => {
      await symlink(join(decoy, 'secret.txt'), join(r, 'usr/lib/systemd/system/steal.service'));
      execFileSync('mkfifo', [join(r, 'usr/lib/systemd/system/fifo.service')]);
    });
    const out = await tmp.make('fw-out');
    const steal = await bakery([
      'flatwrap',
      root,
      'fw',
      '/usr/lib/systemd/system/steal.service',
      '--out',
      out,
    ]);
    expectRefused(steal, '/usr/lib/systemd/system/steal.service does not exist in');
    const fifo = await bakery(['flatwrap', root, 'fw', '/usr/lib/systemd/system/fifo.service', '--out', out]);
    expectRefused(fifo, '/usr/lib/systemd/system/fifo.service is not a file or directory');
    const dev = await busyRoot('fw-dev', async (r) => {
      await mkdir(join(r, 'dev'));
      execFileSync('mknod', [join(r, 'dev/sda'), 'b', '8', '0']);
    });
    expectRefused(
      await bakery(['flatwrap', dev, 'fw', '/bin/busybox', '--out', out]),
      'usr/local/fw/dev/sda: is a device, FIFO or socket',
    );
    const names = await busyRoot('fw-names', async (r) => {
      await makeTree(r, { 'evil\nname': 'x' });
    });
    expectRefused(
      await bakery(['flatwrap', names, 'fw', '/bin/busybox', '--out', out]),
      '"usr/local/fw/evil\\nname": has a newline',
    );
    await untouched(out);
  });

  it('reports a rootfs file hard-linked to a file outside it, and leaves that file alone', async () => {
    const root = await busyRoot('fw-hard', async (r) => {
      await link(join(decoy, 'keep.conf'), join(r, 'usr/lib/linked.conf'));
    });
    const out = await tmp.make('fw-out');
    const r = await bakery(['flatwrap', root, 'fw', '/bin/busybox', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { warnings: string[] }).warnings.join('\n')).toContain(
      '1 file is a hard link to files outside --from (usr/local/fw/usr/lib/linked.conf)',
    );
    expect(await snapshot(decoy)).toEqual(before);
    await rm(out, { recursive: true });
  });
});
