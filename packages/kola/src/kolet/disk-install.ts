import { KOLET_REMOTE_PATH } from '@mantle/kolet';
import { shellQuoteWord } from '@mantle/core/ssh';

/** Where the kolet disk is mounted on the machine (a tmpfs: gone after a reboot, as the mount is). */
const KOLET_DISK_MOUNT = '/run/kolet-disk';
/** Exit code of the disk install when the machine has no disk with that serial. */
const KOLET_DISK_MISSING = 44;
/** Exit code when the disk's kolet does not have the expected sha256. */
export const KOLET_DISK_CORRUPT = 45;

/**
 * The POSIX sh command (bash or busybox ash, as root) that makes kolet available from the
 * read-only disk the platform attached (see platform/qemu/kolet-disk.ts): find the virtio disk
 * by its serial in sysfs (no udev needed), mount it read-only unless it is mounted, check the
 * executable's sha256 on the machine, and link kolet's usual path to it. Nothing is copied.
 */
export function koletDiskInstallCommand(opts: { serial: string; sha256: string }): string {
  if (!/^[0-9a-f]{64}$/.test(opts.sha256))
    throw new TypeError(
      `koletDiskInstallCommand: sha256 must be 64 lowercase hex digits, got ${opts.sha256}`,
    );
  const q = shellQuoteWord;
  const mnt = KOLET_DISK_MOUNT;
  const dest = KOLET_REMOTE_PATH;
  return [
    'dev=""',
    'for d in /sys/block/vd*; do',
    `  if [ "$(cat "$d/serial" 2>/dev/null)" = ${q(opts.serial)} ]; then dev=/dev/\${d##*/}; break; fi`,
    'done',
    `[ -n "$dev" ] || { echo "no virtio disk with serial ${opts.serial}" >&2; exit ${KOLET_DISK_MISSING}; }`,
    'set -e',
    `mkdir -p ${q(mnt)}`,
    `grep -qs " ${mnt} " /proc/mounts || mount -t ext4 -o ro "$dev" ${q(mnt)}`,
    `sum=$(sha256sum ${q(`${mnt}/kolet`)})`,
    'sum=${sum%% *}',
    `[ "$sum" = ${opts.sha256} ] || { echo "$dev: kolet has sha256 $sum, expected ${opts.sha256}" >&2; exit ${KOLET_DISK_CORRUPT}; }`,
    `mkdir -p ${q(dest.slice(0, dest.lastIndexOf('/')))}`,
    `ln -sfn ${q(`${mnt}/kolet`)} ${q(dest)}`,
  ].join('\n');
}
