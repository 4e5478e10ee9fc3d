import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedImageNames, chooseImage } from './image-select.js';
import { parseRunOptions, type RunOptionsInput } from './options.js';

let cache: string;
let env: NodeJS.ProcessEnv;

// A cache laid out as images/*/build.sh leave it: <name>-<key>/ plus <name>-latest → it.
async function image(name: string, manifest: Record<string, unknown>): Promise<string> {
  const dir = join(cache, 'images', `${name}-0123456789abcdef`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ name, ...manifest }));
  for (const f of ['vmlinuz', 'initrd.img', 'disk.qcow2']) await writeFile(join(dir, f), '');
  await symlink(`${name}-0123456789abcdef`, join(cache, 'images', `${name}-latest`));
  return join(cache, 'images', `${name}-latest`);
}

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'kola-images-'));
  env = { MANTLE_CACHE_DIR: cache };
  await image('tiny', {
    osRelease: { ID: 'mantle-tiny' },
    files: { kernel: 'vmlinuz', initrd: 'initrd.img' },
    cmdline: 'console=ttyS0',
  });
  await image('systemd', {
    osRelease: { ID: 'mantle-systemd' },
    files: { kernel: 'vmlinuz', initrd: 'initrd.img', disk: 'disk.qcow2' },
    cmdline: 'console=ttyS0 root=PARTLABEL=ROOT',
    readiness: 'systemd',
  });
  // images/tiny/build.sh --arch arm64: the same OS (name tiny), its own cache entry
  await image('tiny-arm64', {
    name: 'tiny',
    arch: 'aarch64',
    osRelease: { ID: 'mantle-tiny' },
    files: { kernel: 'vmlinuz', initrd: 'initrd.img' },
    cmdline: 'console=ttyAMA0',
    readyMarker: 'mantle-tiny: ready',
  });
});
afterAll(async () => {
  await rm(cache, { recursive: true, force: true });
});

const choose = (input: RunOptionsInput) => chooseImage(parseRunOptions(input), env, cache);

describe('chooseImage', () => {
  it('defaults to the tiny image (left to the platform) and its distro', async () => {
    const c = await choose({});
    expect(c).toMatchObject({ distro: 'tiny', distroFrom: 'image' });
    expect(c.opts.qemu.image).toBeUndefined();
    expect(c.opts.qemu.kernel).toBeUndefined();
  });

  it('-b systemd boots the cached systemd image with its command line, readiness and 1 GiB', async () => {
    const c = await choose({ distro: 'systemd' });
    // the build systemd-latest points at when the run starts, not the moving symlink
    const dir = await realpath(join(cache, 'images', 'systemd-latest'));
    expect(c).toMatchObject({ distro: 'systemd', distroFrom: 'flag' });
    expect(c.opts.qemu).toMatchObject({
      image: join(dir, 'disk.qcow2'),
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      append: 'console=ttyS0 root=PARTLABEL=ROOT',
      readiness: 'systemd',
      memoryMiB: 1024,
    });
  });

  it('--image systemd selects the systemd distro from os-release; -b still wins; --qemu-memory is kept', async () => {
    expect(await choose({ image: 'systemd' })).toMatchObject({ distro: 'systemd', distroFrom: 'image' });
    expect(await choose({ image: 'systemd', distro: 'cl' })).toMatchObject({
      distro: 'cl',
      distroFrom: 'flag',
    });
    expect((await choose({ image: 'systemd', qemu: { memoryMiB: 2048 } })).opts.qemu.memoryMiB).toBe(2048);
  });

  it('--qemu-kernel of a built image finds its manifest (distro, append, initrd)', async () => {
    const dir = join(cache, 'images', 'systemd-latest');
    const c = await choose({ qemu: { kernel: join(dir, 'vmlinuz'), image: join(dir, 'disk.qcow2') } });
    expect(c).toMatchObject({ distro: 'systemd', distroFrom: 'image' });
    expect(c.opts.qemu).toMatchObject({
      initrd: join(await realpath(dir), 'initrd.img'),
      append: 'console=ttyS0 root=PARTLABEL=ROOT',
    });
    // an explicit --qemu-append is kept
    const own = await choose({ qemu: { kernel: join(dir, 'vmlinuz'), append: 'console=ttyS0 quiet' } });
    expect(own.opts.qemu.append).toBe('console=ttyS0 quiet');
  });

  it('an unknown disk image gives the default distro cl', async () => {
    await writeFile(join(cache, 'other.qcow2'), '');
    expect(await choose({ qemu: { image: join(cache, 'other.qcow2') } })).toMatchObject({
      distro: 'cl',
      distroFrom: 'default',
    });
    const file = await choose({ image: join(cache, 'other.qcow2') });
    expect(file.opts.qemu.image).toBe(join(cache, 'other.qcow2'));
  });

  it('explains an image that is not built (exit 3) and conflicting flags (exit 2)', async () => {
    await expect(choose({ image: 'flatcar' })).rejects.toMatchObject({
      code: 'IMAGE_NOT_BUILT',
      exitCode: 3,
      hint: expect.stringContaining('systemd, tiny') as string,
    });
    await expect(
      chooseImage(parseRunOptions({ distro: 'systemd' }), { MANTLE_CACHE_DIR: join(cache, 'none') }, cache),
    ).rejects.toMatchObject({
      code: 'IMAGE_NOT_BUILT',
      exitCode: 3,
    });
    await expect(choose({ image: 'systemd', qemu: { image: 'x.qcow2' } })).rejects.toMatchObject({
      code: 'IMAGE_CONFLICT',
      exitCode: 2,
    });
    await expect(choose({ image: 'systemd', platform: 'aws' })).rejects.toMatchObject({
      code: 'IMAGE_NEEDS_QEMU',
      exitCode: 2,
    });
  });

  it('lists the cached images', async () => {
    expect(await cachedImageNames(cache)).toEqual(['systemd', 'tiny-arm64', 'tiny']);
  });
});

describe('chooseImage on aarch64', () => {
  it('--qemu-arch aarch64 alone: the platform boots tiny-arm64, whose manifest gives the distro', async () => {
    const c = await choose({ qemu: { arch: 'aarch64' } });
    expect(c).toMatchObject({ distro: 'tiny', distroFrom: 'image' });
    expect(c.manifest?.dir).toBe(join(cache, 'images', 'tiny-arm64-latest'));
    expect(c.manifest?.arch).toBe('aarch64');
    expect(c.opts.qemu.kernel).toBeUndefined();
    expect(c.opts.qemu.arch).toBe('aarch64');
  });

  it('--image tiny-arm64 sets --qemu-arch aarch64 and leaves the tiny boot to the platform', async () => {
    const c = await choose({ image: 'tiny-arm64' });
    expect(c).toMatchObject({ distro: 'tiny', distroFrom: 'image' });
    expect(c.opts.qemu.arch).toBe('aarch64');
    expect(c.opts.qemu.kernel).toBeUndefined();
    expect(c.opts.image).toBeUndefined();
    // with the matching --qemu-arch too
    expect((await choose({ image: 'tiny-arm64', qemu: { arch: 'aarch64' } })).opts.qemu.arch).toBe('aarch64');
    // -b tiny on aarch64 is the arm64 build
    const b = await choose({ distro: 'tiny', qemu: { arch: 'aarch64' } });
    expect(b.manifest?.dir).toBe(join(cache, 'images', 'tiny-arm64-latest'));
    expect(b.opts.qemu.kernel).toBeUndefined();
  });

  it('--qemu-kernel of the arm64 image takes its arch, command line and initrd', async () => {
    const dir = join(cache, 'images', 'tiny-arm64-latest');
    const c = await choose({ qemu: { kernel: join(dir, 'vmlinuz') } });
    expect(c.opts.qemu).toMatchObject({
      arch: 'aarch64',
      initrd: join(await realpath(dir), 'initrd.img'),
      append: 'console=ttyAMA0',
    });
  });

  it('an image of the other architecture than --qemu-arch is a usage error (exit 2) naming both', async () => {
    await expect(choose({ image: 'tiny-arm64', qemu: { arch: 'x86_64' } })).rejects.toMatchObject({
      code: 'IMAGE_ARCH_MISMATCH',
      exitCode: 2,
      message: expect.stringMatching(
        /--image tiny-arm64: .* built for aarch64, but --qemu-arch is x86_64/,
      ) as string,
    });
    // manifests without "arch" (older tiny builds, the systemd image) are x86_64
    await expect(choose({ image: 'tiny', qemu: { arch: 'aarch64' } })).rejects.toMatchObject({
      code: 'IMAGE_ARCH_MISMATCH',
      exitCode: 2,
      hint: expect.stringContaining('tiny-arm64') as string,
    });
    await expect(choose({ distro: 'systemd', qemu: { arch: 'aarch64' } })).rejects.toMatchObject({
      code: 'IMAGE_ARCH_UNSUPPORTED',
      exitCode: 2,
      hint: expect.stringContaining('-b tiny') as string,
    });
  });

  it('a missing arm64 image is exit 3 naming images/tiny/build.sh --arch arm64', async () => {
    const empty = { MANTLE_CACHE_DIR: join(cache, 'none') };
    await expect(chooseImage(parseRunOptions({ image: 'tiny-arm64' }), empty, cache)).rejects.toMatchObject({
      code: 'IMAGE_NOT_BUILT',
      exitCode: 3,
      hint: expect.stringContaining('images/tiny/build.sh --arch arm64') as string,
    });
    await expect(
      chooseImage(parseRunOptions({ distro: 'tiny', qemu: { arch: 'aarch64' } }), empty, cache),
    ).rejects.toMatchObject({
      code: 'IMAGE_NOT_BUILT',
      exitCode: 3,
      hint: expect.stringContaining('images/tiny/build.sh --arch arm64') as string,
    });
    // without -b or --image the platform says it (loadTinyImage); the choice itself is fine
    const c = await chooseImage(parseRunOptions({ qemu: { arch: 'aarch64' } }), empty, cache);
    expect(c).toMatchObject({ distro: 'cl', distroFrom: 'default', manifest: undefined });
  });
});
