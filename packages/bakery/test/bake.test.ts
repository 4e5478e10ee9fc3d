import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ext4List, ext4ReadFile, parseLayoutConfig, partitionRef } from '@mantle/core/disk';
import { hashFile } from '@mantle/core/verify';
import { miniFlatcarDisk } from './flatcar-disk.js';
import { BIN, bakery, exec, ls, makeTree, requireBuilt, sampleTree, tempDirs } from './helpers.js';

// Bakes sysexts into a Flatcar-layout disk made with core's layout code (ROOT and OEM as ext4),
// reads the result back with debugfs and checks the filesystems with e2fsck -fn: no root, no loop devices.

const tmp = tempDirs();
let work: string;
let hello: string;
let world: string;

const disk = (name: string, opts: { oemFs?: 'ext4' | 'btrfs' } = {}): Promise<string> =>
  miniFlatcarDisk(work, name, opts);

async function extract(image: string, label: string, out: string): Promise<string> {
  const p = await partitionRef(image, label);
  await pipeline(
    createReadStream(image, { start: p.offset, end: p.offset + p.size - 1 }),
    createWriteStream(out),
  );
  return out;
}

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('bake');
  for (const name of ['hello', 'world']) {
    const src = await makeTree(join(work, `src-${name}`), sampleTree(name));
    const r = await bakery([
      'create',
      name,
      '--from',
      src,
      '--version',
      '1.0',
      '--out',
      join(work, 'sysexts'),
      '--json',
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    const t = await bakery([
      'sysupdate',
      name,
      '--base-url',
      'https://example.com/ext',
      '--out',
      join(work, 'sysexts'),
    ]);
    if (t.code !== 0) throw new Error(t.stderr);
  }
  hello = join(work, 'sysexts/hello-1.0-x86-64.raw');
  world = join(work, 'sysexts/world-1.0-x86-64.raw');
});
afterAll(() => tmp.cleanup());

describe('bakery bake (no root, no loop devices)', () => {
  it('bakes two sysexts into ROOT with symlinks and sysupdate files; the filesystem stays clean', async () => {
    const img = await disk('root');
    const r = await bakery(['bake', img, `hello:${hello}`, `world:${world}`, '--sysupdate', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { partition: string; fsckClean: boolean; noop: string };
    expect(res).toMatchObject({ partition: 'ROOT', fsckClean: true, noop: '/etc/sysupdate.d/noop.conf' });

    const root = await partitionRef(img, 'ROOT');
    const links = await ext4List(root, '/etc/extensions');
    expect(links.filter((e) => e.type === 'symlink').map((e) => [e.name, e.mode & 0o170000, e.uid])).toEqual([
      ['hello.raw', 0o120000, 0],
      ['world.raw', 0o120000, 0],
    ]);
    const stat1 = await exec('debugfs', [
      '-R',
      'stat /etc/extensions/hello.raw',
      `${img}?offset=${root.offset}`,
    ]);
    expect(stat1.stdout).toContain('Fast link dest: "/opt/extensions/hello/hello-1.0-x86-64.raw"');
    const placed = await ext4List(root, '/opt/extensions/hello');
    expect(placed.map((e) => [e.name, e.mode & 0o7777, e.uid, e.gid, e.size])).toEqual([
      ['hello-1.0-x86-64.raw', 0o644, 0, 0, (await stat(hello)).size],
    ]);
    expect(
      Buffer.compare(
        await ext4ReadFile(root, '/opt/extensions/world/world-1.0-x86-64.raw'),
        await readFile(world),
      ),
    ).toBe(0);
    expect((await ext4ReadFile(root, '/etc/sysupdate.hello.d/hello.conf')).toString()).toBe(
      await readFile(join(work, 'sysexts/hello.conf'), 'utf8'),
    );
    expect((await ext4ReadFile(root, '/etc/sysupdate.d/noop.conf')).toString()).toContain('invalid@v.raw');
    expect((await ext4ReadFile(root, '/etc/motd')).toString()).toBe('hi\n');

    const part = await extract(img, 'ROOT', join(work, 'root.ext4'));
    const fsck = await exec('e2fsck', ['-fn', part]);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    expect((await ls(work)).filter((n) => n.includes('.baking'))).toEqual([]);

    // baking a new version again replaces the link, the old file stays for sysupdate's InstancesMax
    const again = await bakery(['bake', img, `hello:${hello}`]);
    expect(again.code, again.stderr).toBe(0);
  });

  it('bakes into OEM with the /etc/extensions symlink on ROOT pointing to /oem', async () => {
    const img = await disk('oem');
    const r = await bakery(['bake', img, `hello:${hello}`, '--to', 'oem', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const oem = await partitionRef(img, 'OEM');
    const root = await partitionRef(img, 'ROOT');
    expect((await ext4List(oem, '/opt/extensions/hello')).map((e) => e.name)).toEqual([
      'hello-1.0-x86-64.raw',
    ]);
    expect(
      (await exec('debugfs', ['-R', 'stat /etc/extensions/hello.raw', `${img}?offset=${root.offset}`]))
        .stdout,
    ).toContain('Fast link dest: "/oem/opt/extensions/hello/hello-1.0-x86-64.raw"');
    expect((await exec('e2fsck', ['-fn', await extract(img, 'OEM', join(work, 'oem.ext4'))])).code).toBe(0);
  });

  it('refuses bad input with exit 2 and leaves the image untouched', async () => {
    const img = await disk('bad', { oemFs: 'btrfs' });
    const before = await hashFile(img);
    const notDisk = join(work, 'not-a-disk.img');
    await writeFile(notDisk, randomBytes(64 * 1024));
    const { createLayoutImage } = await import('@mantle/core/disk');
    const other = join(work, 'other.img');
    await createLayoutImage({
      out: other,
      layout: parseLayoutConfig(
        {
          metadata: { part_alignment: 2048, disk_alignment: 2048, block_size: 512, fs_block_size: 4096 },
          partitions: { '1': { label: 'DATA', type: 'data', blocks: '8192' } },
        },
        { source: 'other' },
      ),
    });
    const vmdk = join(work, 'disk.vmdk');
    await exec('qemu-img', ['create', '-q', '-f', 'vmdk', vmdk, '64M']);
    const cases: [string[], RegExp][] = [
      [['bake', vmdk, `hello:${hello}`], /disk.vmdk is a vmdk image; bake writes raw and qcow2 images/],
      [['bake', notDisk, `hello:${hello}`], /not-a-disk.img.*(GPT|partition table)/],
      [['bake', other, `hello:${hello}`], /has no ROOT partition \(its partitions: 1 DATA\)/],
      [
        ['bake', img, `world:${hello}`],
        /installed as \/etc\/extensions\/world.raw, systemd would look for extension-release.world, but .* carries extension-release.hello/,
      ],
      [['bake', img, `a/b:${hello}`], /NAME in a\/b:.* contains a '\/'/],
      [
        ['bake', img, `hello:${hello}`, '--to', 'oem'],
        /partition OEM of .* holds no ext4 filesystem|holds btrfs/,
      ],
      [['bake', img, `hello:${join(work, 'nope.raw')}`], /nope.raw is not a file/],
      [['bake', img, `hello:${hello}`, `hello:${hello}`], /hello is given twice/],
      [['bake', img, `hello:${notDisk}`], /is not a sysext image/],
    ];
    for (const [args, msg] of cases) {
      const r = await bakery(args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toContain('hint:');
    }
    const noTransfer = await bakery(['bake', img, `hello:${hello}`, '--sysupdate'], { cwd: work });
    expect(noTransfer.code).toBe(0); // hello.conf is next to it
    expect(await hashFile(img)).not.toBe(before);
    const orphan = join(work, 'orphan');
    await makeTree(orphan, {});
    await exec('cp', [hello, join(orphan, 'hello-1.0-x86-64.raw')]);
    const after = await hashFile(img);
    const r = await bakery(['bake', img, `hello:${join(orphan, 'hello-1.0-x86-64.raw')}`, '--sysupdate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no hello.transfer or hello.conf next to');
    expect(await hashFile(img)).toBe(after);
    expect((await ls(work)).filter((n) => n.includes('.baking'))).toEqual([]);
  });

  it('leaves the original image untouched when interrupted (SIGINT → exit 130, temp copy removed)', async () => {
    const img = await disk('intr');
    const before = await hashFile(img);
    const big = await makeTree(join(work, 'src-big'), {
      'usr/share/big/blob': randomBytes(48 * 1024 * 1024).toString('base64'),
    });
    expect(
      (await bakery(['create', 'big', '--from', big, '--out', join(work, 'bigout'), '--compression', 'lz4']))
        .code,
    ).toBe(0);
    const child = spawn(process.execPath, [BIN, 'bake', img, `big:${join(work, 'bigout/big.raw')}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    let sent = false;
    for (let i = 0; i < 2000 && !sent; i++) {
      if ((await ls(work)).some((n) => n.startsWith('.intr.img.') && n.endsWith('.baking'))) {
        child.kill('SIGINT');
        sent = true;
      } else await new Promise((r) => setTimeout(r, 5));
    }
    const code = await exited;
    expect(sent, 'bake finished before it could be interrupted').toBe(true);
    expect(code, stderr).toBe(130);
    expect(await hashFile(img)).toBe(before);
    expect((await ls(work)).filter((n) => n.includes('.baking'))).toEqual([]);
  });
});
