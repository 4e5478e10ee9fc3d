// Integration: `ore image to-vm` (the built bin) on small Flatcar-layout images made by
// @mantle/core: OEM identity on ext4 (debugfs) and btrfs (rebuilt with mkfs.btrfs --rootdir),
// ROOT grown in the GPT, every platform's format checked with qemu-img/sgdisk/GNU tar, the
// azure VHD and gce tarball round-tripped to the same raw bytes, and the launcher script run
// against a recording stand-in for qemu. Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskImage, ext4ReadFile, partitionRef, readGpt } from '@mantle/core/disk';
import { run } from '@mantle/core/exec';
import { jsonError, requireOreBuild, runOre, type OreRun } from './helpers/ore-bin.js';

let dir: string;
// debugfs stamps inodes with this time instead of now: two runs write the same bytes.
const FAKE_TIME_ENV = { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000' };

async function ore(args: string[], env = FAKE_TIME_ENV): Promise<OreRun> {
  return runOre(dir, args, { env });
}

const ROOT_VM = 12943360;
const ALIGN = 258048;

/** A small Flatcar-shaped disk: EFI-SYSTEM (vfat), USR-A, OEM (ext4 or btrfs), ROOT (ext4). */
async function makeImage(name: string, oem: 'ext4' | 'btrfs'): Promise<string> {
  const layout = join(dir, `${name}.layout.json`);
  await writeFile(
    layout,
    JSON.stringify({
      partitions: {
        '1': { label: 'EFI-SYSTEM', type: 'efi', blocks: 131072, fs_type: 'vfat' },
        '3': { label: 'USR-A', type: 'flatcar-usr', blocks: 32768 },
        '6': { label: 'OEM', type: 'data', blocks: 131072 },
        '9': { label: 'ROOT', type: 'flatcar-resize', blocks: 65536, fs_type: 'ext4' },
      },
    }),
  );
  const out = join(dir, name);
  await createDiskImage({
    out,
    layout,
    fill: oem === 'ext4' ? { OEM: { fsType: 'ext4', label: 'OEM' } } : {},
    overwrite: true,
  });
  if (oem === 'btrfs') {
    // Flatcar's OEM: a btrfs labelled OEM, here with a file that must survive the rebuild
    const tree = join(dir, `${name}.oemtree`);
    await mkdir(join(tree, 'bin'), { recursive: true });
    await writeFile(join(tree, 'bin', 'keep.sh'), '#!/bin/sh\necho kept\n');
    const part = await partitionRef(out, 'OEM');
    const fsFile = join(dir, `${name}.btrfs`);
    await (await open(fsFile, 'w')).truncate(part.size).then(() => undefined);
    await run('mkfs.btrfs', [
      '-q',
      '-f',
      '-L',
      'OEM',
      '-U',
      '11111111-2222-3333-4444-555555555555',
      '--rootdir',
      tree,
      fsFile,
    ]);
    await run('dd', [
      `if=${fsFile}`,
      `of=${out}`,
      'bs=1M',
      `seek=${part.offset / 1048576}`,
      'conv=notrunc,sparse',
    ]);
    await rm(fsFile);
  }
  await writeFile(join(dir, 'version.txt'), 'FLATCAR_VERSION=4081.2.0+dev\nFLATCAR_VERSION_ID=4081.2.0\n');
  return name;
}

/** A raw copy of any image (qemu-img), and a file of its OEM partition read back. */
async function oemFileOf(image: string, path: string, format = 'raw'): Promise<string> {
  let raw = join(dir, image);
  if (format !== 'raw') {
    raw = join(dir, `${image}.check.raw`);
    await run('qemu-img', ['convert', '-f', format, '-O', 'raw', join(dir, image), raw]);
  }
  return (await ext4ReadFile(await partitionRef(raw, 'OEM'), path)).toString('utf8');
}

/** "Images are identical." when both hold the same disk of the same size. */
async function sameDisk(raw: string, other: string, format: string): Promise<string> {
  const info = JSON.parse((await run('qemu-img', ['info', '--output=json', '-f', format, other])).stdout) as {
    'virtual-size': number;
  };
  if (info['virtual-size'] !== (await stat(raw)).size) return `sizes differ: ${info['virtual-size']}`;
  const r = await run('qemu-img', ['compare', '-f', 'raw', '-F', format, raw, other], { reject: false });
  return (r.stdout + r.stderr).trim();
}

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-to-vm-'));
  await makeImage('flatcar_production_image.bin', 'ext4');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ore image to-vm', () => {
  it('qemu: compressed qcow2 (compat 0.10) grown to the vm layout, oem_id qemu on the ext4 OEM, launcher + README', async () => {
    const res = await ore(['image', 'to-vm', 'flatcar_production_image.bin', '--platform', 'qemu', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as {
      files: string[];
      vmName: string;
      oemFilesystem: string;
      version: string;
    };
    expect(r.files.map((f) => f.replace(/^.*\//, ''))).toEqual([
      'flatcar_production_qemu_image.img',
      'flatcar_production_qemu.sh',
      'flatcar_production_qemu.README',
    ]);
    expect(r).toMatchObject({
      oemFilesystem: 'ext4',
      version: '4081.2.0+dev',
      vmName: 'flatcar_production_qemu-4081-2-0-dev',
    });
    const info = JSON.parse(
      (await run('qemu-img', ['info', '--output=json', join(dir, 'flatcar_production_qemu_image.img')]))
        .stdout,
    ) as { format: string; 'virtual-size': number; 'format-specific': { data: { compat: string } } };
    expect(info.format).toBe('qcow2');
    expect(info['format-specific'].data.compat).toBe('0.10');
    expect((info['virtual-size'] / 512) % ALIGN).toBe(0);
    const raw = join(dir, 'flatcar_production_qemu_image.img.check.raw');
    expect(await oemFileOf('flatcar_production_qemu_image.img', '/grub.cfg', 'qcow2')).toBe(
      '# Flatcar GRUB settings\n\nset oem_id="qemu"\nset linux_append="flatcar.autologin"\n',
    );
    expect(await oemFileOf('flatcar_production_qemu_image.img.check.raw', '/oem-release')).toMatch(
      /^ID=qemu\nVERSION_ID=4081\.2\.0\+dev\n/,
    );
    const gpt = await readGpt(raw);
    expect(gpt.partitions.find((p) => p.name === 'ROOT')?.sizeLba).toBe(ROOT_VM);
    expect(gpt.warnings).toEqual([]);
    expect((await run('sgdisk', ['-v', raw])).stdout).toMatch(/No problems found/);
    // the input is untouched
    expect(
      (await readGpt(join(dir, 'flatcar_production_image.bin'))).partitions.find((p) => p.name === 'ROOT')
        ?.sizeLba,
    ).toBe(65536);
  });

  it('the launcher: -a keys become an Ignition config on fw_cfg, SSH on -p, the image through an overlay', async () => {
    const fake = join(dir, 'record-qemu.sh');
    // a recording stand-in for qemu-system-x86_64: prints its arguments and the fw_cfg file
    await writeFile(
      fake,
      '#!/bin/bash\nprintf "%s\\n" "$@"\nfor a in "$@"; do case $a in name=opt/org.flatcar-linux/config,file=*) cat "${a#*file=}";; esac; done\n',
    );
    await chmod(fake, 0o755);
    await writeFile(join(dir, 'keys'), 'ssh-ed25519 AAAAC3Nza "quoted" me@host\n\nssh-rsa AAAAB3 other\n');
    const script = join(dir, 'flatcar_production_qemu.sh');
    expect((await run('bash', ['-n', script])).exitCode).toBe(0);
    const r = await run(script, ['-a', join(dir, 'keys'), '-p', '2345', '-s', '--', '-display', 'none'], {
      env: { ...process.env, VM_QEMU: fake },
    });
    const lines = r.stdout.split('\n');
    expect(lines).toContain(
      'user,id=eth0,hostfwd=tcp:127.0.0.1:2345-:22,hostname=flatcar_production_qemu-4081-2-0-dev',
    );
    expect(lines).toContain('q35,accel=tcg');
    expect(lines.slice(-4, -2)).toEqual(['-display', 'none']);
    const ign = JSON.parse(lines[lines.length - 2]!) as {
      passwd: { users: { name: string; sshAuthorizedKeys: string[] }[] };
    };
    expect(ign.passwd.users[0]).toEqual({
      name: 'core',
      sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nza "quoted" me@host', 'ssh-rsa AAAAB3 other'],
    });
    expect(r.stdout).toMatch(/if=none,id=disk0,format=qcow2,file=\/tmp\/[^\n]*overlay\.qcow2/);
  });

  it('azure VHD and gce tarball round-trip to the same raw disk as the same platforms written raw', async () => {
    // the same platforms with a raw disk, through --platforms-file (the table is data)
    await writeFile(
      join(dir, 'raw-platforms.json'),
      JSON.stringify({
        platforms: [
          { name: 'azure', diskFormat: 'raw', extension: 'bin' },
          { name: 'gce', diskFormat: 'raw', extension: 'bin' },
        ],
      }),
    );
    for (const p of ['azure', 'gce']) {
      const native = await ore(['image', 'to-vm', 'flatcar_production_image.bin', '-p', p, '--out-dir', p]);
      expect(native.exitCode, native.stderr).toBe(0);
      const raw = await ore([
        'image',
        'to-vm',
        'flatcar_production_image.bin',
        '-p',
        p,
        '--out-dir',
        `${p}-raw`,
        '--platforms-file',
        'raw-platforms.json',
      ]);
      expect(raw.exitCode, raw.stderr).toBe(0);
    }
    const azureRaw = join(dir, 'azure-raw', 'flatcar_production_azure_image.bin');
    const vhd = join(dir, 'azure', 'flatcar_production_azure_image.vhd');
    const vhdInfo = JSON.parse(
      (await run('qemu-img', ['info', '--output=json', '-f', 'vpc', vhd])).stdout,
    ) as {
      'virtual-size': number;
    };
    const rawSize = (await stat(azureRaw)).size;
    expect(vhdInfo['virtual-size']).toBe(rawSize);
    expect(rawSize % (1024 * 1024)).toBe(0);
    expect(rawSize / 512).toBeGreaterThan(50876416); // azure's ROOT
    expect((await stat(vhd)).size).toBe(rawSize + 512);
    // qemu-img compare skips what both sides have as holes (cmp would read 24 GiB of zeros)
    expect(await sameDisk(azureRaw, vhd, 'vpc')).toBe('Images are identical.');
    expect(await oemFileOf('azure-raw/flatcar_production_azure_image.bin', '/grub.cfg')).toContain(
      'set oem_id="azure"',
    );

    await mkdir(join(dir, 'gce-x'));
    await run('tar', ['-xSzf', join(dir, 'gce', 'flatcar_production_gce.tar.gz'), '-C', join(dir, 'gce-x')]);
    expect(await readdir(join(dir, 'gce-x'))).toEqual(['disk.raw']);
    const gceRaw = join(dir, 'gce-raw', 'flatcar_production_gce_image.bin');
    expect(await sameDisk(gceRaw, join(dir, 'gce-x', 'disk.raw'), 'raw')).toBe('Images are identical.');
    expect(await oemFileOf('gce-raw/flatcar_production_gce_image.bin', '/grub.cfg')).toContain(
      'set oem_id="gce"',
    );
  });

  it('ami (raw, oem_id ec2), vmware (vmdk + vmx), openstack (qcow2), digitalocean (raw, base size)', async () => {
    for (const p of ['ami', 'vmware', 'openstack', 'digitalocean']) {
      const res = await ore(['image', 'to-vm', 'flatcar_production_image.bin', '-p', p, '--out-dir', p]);
      expect(res.exitCode, res.stderr).toBe(0);
    }
    expect(await oemFileOf('ami/flatcar_production_ami_image.bin', '/grub.cfg')).toMatch(
      /set oem_id="ec2"\n(#.*\n)*set linux_append="modprobe\.blacklist=xen_fbfront net\.ifnames=0/,
    );
    const vmx = await readFile(join(dir, 'vmware', 'flatcar_production_vmware.vmx'), 'utf8');
    expect(vmx).toContain('scsi0:0.fileName = "flatcar_production_vmware_image.vmdk"');
    const vmdk = JSON.parse(
      (
        await run('qemu-img', [
          'info',
          '--output=json',
          join(dir, 'vmware', 'flatcar_production_vmware_image.vmdk'),
        ])
      ).stdout,
    ) as { format: string; 'format-specific': { data: { 'create-type': string } } };
    expect(vmdk.format).toBe('vmdk');
    expect(vmdk['format-specific'].data['create-type']).toBe('monolithicSparse');
    expect(
      await oemFileOf('openstack/flatcar_production_openstack_image.img', '/grub.cfg', 'qcow2'),
    ).toContain('set oem_id="openstack"');
    // digitalocean keeps the base layout's ROOT: the disk did not grow past the image
    const doRaw = join(dir, 'digitalocean', 'flatcar_production_digitalocean_image.bin');
    expect((await readGpt(doRaw)).partitions.find((p) => p.name === 'ROOT')?.sizeLba).toBe(3653632);
    expect(await oemFileOf('digitalocean/flatcar_production_digitalocean_image.bin', '/grub.cfg')).toBe(
      '# Flatcar GRUB settings\n\nset oem_id="digitalocean"\n',
    );
  });

  it("a btrfs OEM (Flatcar's) is rebuilt with its label, UUID and files kept, plus the new ones", async () => {
    await makeImage('btrfs_image.bin', 'btrfs');
    const res = await ore(['image', 'to-vm', 'btrfs_image.bin', '-p', 'ami', '--out-dir', 'btrfs', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as { oemFilesystem: string }).oemFilesystem).toBe('btrfs');
    const image = join(dir, 'btrfs', 'btrfs_ami_image.bin');
    const part = await partitionRef(image, 'OEM');
    const fsFile = join(dir, 'oem-back.btrfs');
    await run('dd', [
      `if=${image}`,
      `of=${fsFile}`,
      'bs=1M',
      `skip=${part.offset / 1048576}`,
      `count=${part.size / 1048576}`,
    ]);
    const show = (await run('btrfs', ['inspect-internal', 'dump-super', fsFile])).stdout;
    expect(show).toMatch(/^fsid\s+11111111-2222-3333-4444-555555555555$/m);
    expect(show).toMatch(/^label\s+OEM$/m);
    const tree = join(dir, 'oem-back');
    await mkdir(tree);
    await run('btrfs', ['restore', fsFile, tree]);
    expect(await readFile(join(tree, 'grub.cfg'), 'utf8')).toContain('set oem_id="ec2"');
    expect(await readFile(join(tree, 'oem-release'), 'utf8')).toMatch(/^ID=ec2$/m);
    expect(await readFile(join(tree, 'bin', 'keep.sh'), 'utf8')).toBe('#!/bin/sh\necho kept\n');
  });
});

describe('ore image to-vm: bad inputs', () => {
  it('unknown platform, not a disk image, no ROOT, a bad platforms file, existing outputs: exit 2, nothing written', async () => {
    const before = await readdir(dir);
    const unknown = await ore(['image', 'to-vm', 'flatcar_production_image.bin', '-p', 'amiga', '--json']);
    expect(unknown.exitCode).toBe(2);
    expect(jsonError(unknown.stderr)).toMatchObject({ code: 'VM_UNKNOWN_PLATFORM' });
    expect(jsonError(unknown.stderr).hint).toMatch(/qemu, qemu_uefi, ami/);

    await writeFile(join(dir, 'notes.txt'), 'hello\n'.repeat(300));
    const notImage = await ore(['image', 'to-vm', 'notes.txt', '-p', 'qemu', '--json']);
    expect(jsonError(notImage.stderr).code).toBe('NOT_A_DISK_IMAGE');

    await writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({
        platforms: [{ name: 'x1', oemId: 'x', extension: 'img', diskFormat: 'vdi', rootSectors: 1 }],
      }),
    );
    const badFile = await ore([
      'image',
      'to-vm',
      'flatcar_production_image.bin',
      '-p',
      'x1',
      '--platforms-file',
      'bad.json',
      '--json',
    ]);
    expect(badFile.exitCode).toBe(2);
    expect(jsonError(badFile.stderr)).toMatchObject({ code: 'VM_PLATFORMS_FILE' });
    expect(jsonError(badFile.stderr).message).toMatch(/bad\.json.*platforms\[0\]\.diskFormat/);

    const exists = await ore(['image', 'to-vm', 'flatcar_production_image.bin', '-p', 'qemu', '--json']);
    expect(exists.exitCode).toBe(2);
    expect(jsonError(exists.stderr).code).toBe('IMAGE_EXISTS');

    await writeFile(
      join(dir, 'noroot.json'),
      JSON.stringify({ partitions: { '1': { type: 'data', label: 'OEM', blocks: 8192 } } }),
    );
    await createDiskImage({
      out: join(dir, 'noroot.img'),
      layout: join(dir, 'noroot.json'),
      size: 16 * 1024 * 1024,
    });
    const noRoot = await ore(['image', 'to-vm', 'noroot.img', '-p', 'ami', '--json']);
    expect(noRoot.exitCode).toBe(2);
    expect(jsonError(noRoot.stderr).code).toBe('VM_NO_ROOT');

    const after = (await readdir(dir)).filter((f) => !before.includes(f));
    expect(after.sort()).toEqual(['bad.json', 'noroot.img', 'noroot.json', 'notes.txt']);
  });
});
