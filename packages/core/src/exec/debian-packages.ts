import { basename } from 'node:path';

// The Debian package of each program mantle's tools run, so "not installed" can say what to
// install (scripts/setup.sh installs them all). A program not listed gets a generic hint.
const PACKAGES: Readonly<Record<string, string>> = {
  bwrap: 'bubblewrap',
  btrfs: 'btrfs-progs',
  bzip2: 'bzip2',
  debugfs: 'e2fsprogs',
  dumpe2fs: 'e2fsprogs',
  e2fsck: 'e2fsprogs',
  'fsck.erofs': 'erofs-utils',
  gpg: 'gnupg',
  gpgconf: 'gnupg',
  lz4: 'lz4',
  mcopy: 'mtools',
  mdir: 'mtools',
  mke2fs: 'e2fsprogs',
  'mkfs.btrfs': 'btrfs-progs',
  'mkfs.erofs': 'erofs-utils',
  'mkfs.ext4': 'e2fsprogs',
  'mkfs.vfat': 'dosfstools',
  mksquashfs: 'squashfs-tools',
  mmd: 'mtools',
  patchelf: 'patchelf',
  'qemu-img': 'qemu-utils',
  'qemu-system-aarch64': 'qemu-system-arm',
  'qemu-system-x86_64': 'qemu-system-x86',
  resize2fs: 'e2fsprogs',
  sfdisk: 'fdisk',
  skopeo: 'skopeo',
  swtpm: 'swtpm',
  swtpm_setup: 'swtpm-tools',
  'systemd-dissect': 'systemd-container',
  tar: 'tar',
  umoci: 'umoci',
  unsquashfs: 'squashfs-tools',
  xz: 'xz-utils',
  zstd: 'zstd',
};

/** The Debian package that provides a program (by name or path), when mantle knows it. */
export function debianPackageOf(program: string): string | undefined {
  return PACKAGES[basename(program)];
}
