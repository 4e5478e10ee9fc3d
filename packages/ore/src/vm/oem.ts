import { copyFile, mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ext4Apply, partitionRef, withTempDir, type Ext4Op, type PartitionRef } from '@mantle/core/disk';
import { InputError } from '@mantle/core/errors';
import { requireTool, run } from '@mantle/core/exec';
import { type Logger } from '@mantle/core/log';
import { allocatedRegions, copyNonZero } from '../convert/data-map.js';

// The OEM partition (label OEM, mounted at /oem) says which platform an image is for: GRUB reads
// its grub.cfg (`set oem_id="..."`, which Ignition and Afterburn key on) and systemd-sysext
// merges the OEM sysext it holds. Flatcar formats it btrfs; the project's systemd test image
// formats it ext4. ext4 is changed in place with debugfs. btrfs has no userspace writer (btrfs-
// progs can only make a file system from a directory, `mkfs.btrfs --rootdir`, and read one,
// `btrfs restore`), so without root and loop mounts the only way is to REBUILD it: extract the
// files, add ours, make a new btrfs with the same label and UUID from that tree, put it back.

/** A file to put on the OEM partition. */
export interface OemFile {
  /** path below /oem, e.g. grub.cfg or sysext/oem-azure-1.2.3.raw */
  path: string;
  content?: string | Uint8Array;
  /** copy from this local file */
  from?: string;
  mode?: number;
}

/** The OEM files of a platform: grub.cfg, oem-release and, when given, the OEM sysext + marker. */
export function oemFiles(opts: {
  oemId: string;
  platform: string;
  grub?: string;
  version?: string;
  sysext?: string;
}): OemFile[] {
  const grub = [
    '# Flatcar GRUB settings',
    '',
    `set oem_id="${opts.oemId}"`,
    ...(opts.grub ? [opts.grub] : []),
  ];
  const release = [
    `ID=${opts.oemId}`,
    ...(opts.version ? [`VERSION_ID=${opts.version}`] : []),
    `NAME="${opts.platform}"`,
    'HOME_URL="https://www.flatcar.org/"',
  ];
  const files: OemFile[] = [
    { path: 'grub.cfg', content: grub.join('\n') + '\n', mode: 0o644 },
    { path: 'oem-release', content: release.join('\n') + '\n', mode: 0o644 },
  ];
  if (opts.sysext) {
    const name = `oem-${opts.platform}${opts.version ? `-${opts.version}` : ''}.raw`;
    files.push({ path: `sysext/${name}`, from: opts.sysext, mode: 0o644 });
    files.push({ path: `sysext/active-oem-${opts.platform}`, content: '', mode: 0o644 });
  }
  return files;
}

/** The file system of a partition by its superblock magic. */
export async function oemFsType(part: PartitionRef): Promise<'ext4' | 'btrfs' | 'vfat' | 'none'> {
  const fh = await open(part.image, 'r');
  try {
    const b = Buffer.alloc(70 * 1024);
    await fh.read(b, 0, b.length, part.offset);
    if (b.toString('latin1', 0x10040, 0x10048) === '_BHRfS_M') return 'btrfs';
    if (b.readUInt16LE(1080) === 0xef53) return 'ext4';
    if (b.toString('latin1', 82, 87) === 'FAT32' || b.toString('latin1', 54, 57) === 'FAT') return 'vfat';
    return 'none';
  } finally {
    await fh.close();
  }
}

/**
 * Write files onto the image's OEM partition as it is formatted: ext4 in place (debugfs), btrfs
 * rebuilt with its label and UUID kept. Returns the file system type. An OEM partition without a
 * file system gets a new btrfs (as Flatcar formats it).
 */
export async function writeOemFiles(
  image: string,
  files: readonly OemFile[],
  opts: { logger?: Logger; signal?: AbortSignal; label?: string } = {},
): Promise<'ext4' | 'btrfs'> {
  for (const f of files) checkOemPath(f.path);
  const part = await partitionRef(image, opts.label ?? 'OEM');
  const fs = await oemFsType(part);
  if (fs === 'ext4') {
    const ops: Ext4Op[] = files.map((f) => ({
      op: 'write',
      path: '/' + f.path,
      ...(f.from !== undefined ? { from: f.from } : { content: f.content ?? '' }),
      mode: f.mode ?? 0o644,
      uid: 0,
      gid: 0,
    }));
    await ext4Apply(part, ops, opts.logger ? { logger: opts.logger } : {});
    return 'ext4';
  }
  if (fs === 'vfat') {
    throw new InputError({
      code: 'VM_OEM_UNSUPPORTED_FS',
      message: `${image}: the OEM partition holds a FAT file system, which Flatcar never uses there`,
      hint: 'pass a Flatcar-layout image (OEM is btrfs, or ext4 in the project test images)',
      details: { file: image },
    });
  }
  await rebuildBtrfs(part, files, fs === 'btrfs', opts);
  return 'btrfs';
}

async function rebuildBtrfs(
  part: PartitionRef,
  files: readonly OemFile[],
  existing: boolean,
  opts: { logger?: Logger; signal?: AbortSignal },
): Promise<void> {
  const tool = { debianPackage: 'btrfs-progs', purpose: "write Flatcar's btrfs OEM partition without root" };
  const mkfs = await requireTool('mkfs.btrfs', tool);
  const btrfs = await requireTool('btrfs', tool);
  const log = opts.logger;
  await withTempDir('ore-oem-', async (dir) => {
    const fsFile = join(dir, 'oem.btrfs');
    const tree = join(dir, 'tree');
    await mkdir(tree);
    let uuid: string | undefined;
    let label = 'OEM';
    if (existing) {
      // Only the partition's data, not its 1 GiB: a sparse copy of its allocated extents.
      await copyWindow(part, fsFile, 'out');
      const show = await run(btrfs, ['inspect-internal', 'dump-super', fsFile], { logger: log });
      uuid = /^fsid\s+([0-9a-f-]{36})/m.exec(show.stdout)?.[1];
      label = /^label\s+(.*)$/m.exec(show.stdout)?.[1]?.trim() || 'OEM';
      // -S symlinks, -x xattrs, -m owners/modes/times (needs root to chown; as a user they are ours)
      const asRoot = process.getuid?.() === 0;
      await run(btrfs, ['restore', '-S', '-x', ...(asRoot ? ['-m'] : []), fsFile, tree], { logger: log });
      log?.debug(`OEM btrfs ${uuid ?? ''}: restored ${(await readdir(tree)).length} top-level entries`);
    }
    for (const f of files) {
      const dest = join(tree, ...f.path.split('/'));
      await mkdir(join(dest, '..'), { recursive: true });
      if (f.from !== undefined) await copyFile(f.from, dest);
      else await writeFile(dest, f.content ?? '');
    }
    const fh = await open(fsFile, 'w');
    try {
      await fh.truncate(part.size);
    } finally {
      await fh.close();
    }
    await run(mkfs, ['-q', '-f', '-L', label, ...(uuid ? ['-U', uuid] : []), '--rootdir', tree, fsFile], {
      logger: log,
      timeoutMs: 600_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await copyWindow(part, fsFile, 'in');
  });
}

/**
 * Copy a partition's bytes out of the image into `file`, or `file` back into the partition. Both
 * ways only the data extents travel; going in, the partition is first made a hole
 * (`fallocate --punch-hole`) so nothing of the old file system survives between the new extents.
 */
async function copyWindow(part: PartitionRef, file: string, dir: 'in' | 'out'): Promise<void> {
  if (dir === 'in') {
    const fallocate = await requireTool('fallocate', {
      debianPackage: 'util-linux',
      purpose: 'clear a partition',
    });
    await run(fallocate, [
      '--punch-hole',
      '--offset',
      String(part.offset),
      '--length',
      String(part.size),
      part.image,
    ]);
  }
  const image = await open(part.image, 'r+');
  const other = await open(file, dir === 'out' ? 'w' : 'r');
  try {
    if (dir === 'out') {
      await other.truncate(part.size);
      const end = part.offset + part.size;
      const regions = (await allocatedRegions(part.image, end))
        .filter((r) => r.offset + r.length > part.offset)
        .map((r) => {
          const start = Math.max(r.offset, part.offset);
          return { offset: start, length: Math.min(r.offset + r.length, end) - start };
        });
      await copyNonZero(image, other, regions, { shift: -part.offset });
    } else {
      const size = (await other.stat()).size;
      await copyNonZero(other, image, await allocatedRegions(file, size), { shift: part.offset });
    }
  } finally {
    await image.close();
    await other.close();
  }
}

function checkOemPath(p: string): void {
  const norm = posix.normalize(p);
  if (p === '' || p.startsWith('/') || norm.startsWith('..') || norm !== p) {
    throw new InputError({
      code: 'VM_OEM_BAD_PATH',
      message: `OEM file path ${JSON.stringify(p)} must be relative and normal (no "..", no leading /)`,
      hint: 'name files below /oem like grub.cfg or sysext/oem-x.raw',
    });
  }
}
