import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeDecoy, snapshot } from './hostile-helpers.js';
import { BIN, bakery, exec, ls, requireBuilt, tempDirs } from './helpers.js';
import { busyboxImage } from './oci-image.js';

// `bakery oci-rootfs --run` as root with an image that tries to leave its sandbox, through the
// real bin with the real skopeo, umoci and bubblewrap: it must run as uid 0 of a user namespace
// mapped to an unprivileged host id, with no capabilities and no devices, so creating a block
// device and mounting the host disk fail; the tree comes back owned by the invoking user with
// its setuid bits. The image is made here with umoci (static busybox, a setuid file).

const RUN_ID = 1_879_048_000;
const tmp = tempDirs();
let work: string;
let layout: string;
let decoy: string;
let before: string[];

beforeAll(async () => {
  await requireBuilt();
  if (process.getuid?.() !== 0) throw new Error('this suite tests --run as root: run it as root (CI does)');
  work = await tmp.make('hostile-oci');
  decoy = await makeDecoy(work);
  layout = join(work, 'L');
  await busyboxImage(layout, 't', join(work, 'bundle'), {
    applets: ['sh'],
    tree: { 'usr/bin/suid': { content: '#!/bin/sh\n', mode: 0o4755 } },
    // makeTree's chmod under umask keeps the bit; say it again to be sure the layer carries it
    extra: async (root) => void (await exec('chmod', ['4755', join(root, 'usr/bin/suid')])),
  });
});
afterAll(() => tmp.cleanup());
beforeEach(async () => {
  before = await snapshot(decoy);
});

describe('hostile images for oci-rootfs --run (real skopeo, umoci, bwrap, as root)', () => {
  it('runs as uid 0 of a user namespace mapped to an unprivileged id, without capabilities or devices', async () => {
    const parent = await tmp.make('oci-out');
    const dir = join(parent, 'rootfs');
    // The command waits for /go, which the test creates from outside once it has looked at the
    // owner of /started on the host.
    const probe = [
      'b=busybox',
      '$b touch /started',
      'while [ ! -e /go ]; do $b sleep 0.1; done',
      '$b grep CapEff /proc/self/status > /probe-cap',
      '$b id -u > /probe-uid',
      '$b mknod /probe-blk b 8 0; echo $? > /probe-mknod',
      '$b mkdir -p /mnt; $b mount -t tmpfs none /mnt; echo $? > /probe-mount',
      '$b ls /dev > /probe-dev',
    ].join('; ');
    const p = spawn(process.execPath, [BIN, 'oci-rootfs', `oci:${layout}:t`, dir, '--run', probe], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    let started: string | undefined;
    for (let i = 0; i < 600 && !started; i++) {
      const scratch = (await ls(parent)).find((n) => n.startsWith('.bakery-oci-rootfs-'));
      const f = scratch && join(parent, scratch, 'rootfs');
      if (f && (await ls(f)).includes('started')) started = f;
      else await new Promise((r) => setTimeout(r, 100));
      if (p.exitCode !== null) break;
    }
    expect(started, stderr).toBeDefined();
    // written by "root" inside: owned by the unprivileged id on the host
    expect((await stat(join(started!, 'started'))).uid).toBe(RUN_ID);
    await writeFile(join(started!, 'go'), '');
    expect(await exited, stderr).toBe(0);

    expect(await readFile(join(dir, 'probe-uid'), 'utf8')).toBe('0\n');
    expect(await readFile(join(dir, 'probe-cap'), 'utf8')).toMatch(/^CapEff:\s+0+\n$/);
    expect(await readFile(join(dir, 'probe-mknod'), 'utf8')).not.toBe('0\n');
    expect(await readFile(join(dir, 'probe-mount'), 'utf8')).not.toBe('0\n');
    expect((await ls(dir)).includes('probe-blk')).toBe(false);
    const devs = (await readFile(join(dir, 'probe-dev'), 'utf8')).split('\n').filter(Boolean);
    expect(devs.filter((d) => /^(sd|vd|nvme|loop|mem|kmsg|port)/.test(d))).toEqual([]);
    // the tree is the invoking user's again, with the image's setuid bit
    for (const f of ['started', 'probe-uid', 'bin/busybox', '.'])
      expect((await stat(join(dir, f))).uid, f).toBe(0);
    expect((await stat(join(dir, 'usr/bin/suid'))).mode & 0o7777).toBe(0o4755);
    expect(await ls(parent)).toEqual(['rootfs']);
    expect(await snapshot(decoy)).toEqual(before);
  });

  it('fails (exit 1, no DIR) when the command insists on a block device and a mount', async () => {
    const parent = await tmp.make('oci-out');
    const r = await bakery([
      'oci-rootfs',
      `oci:${layout}:t`,
      join(parent, 'rootfs'),
      '--run',
      'busybox mknod /tmp/sda b 8 0 && busybox mkdir -p /mnt && busybox mount -t ext4 /tmp/sda /mnt && busybox cat /mnt/etc/shadow',
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('the --run command failed inside');
    expect(r.stderr).toMatch(/mknod: \/tmp\/sda: Operation not permitted/);
    expect(await ls(parent)).toEqual([]);
    expect(await snapshot(decoy)).toEqual(before);
  });
});
