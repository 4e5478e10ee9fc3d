// The VM's write space (`overlay_size`): a sparse file with an empty ext4 (no journal, lazy inode
// tables, so even a large one is made in a fraction of a second), the upper layer of the
// overlay the init mounts over the read-only rootfs. flake-pilot makes an ext2 with mkfs.ext2;
// the guest mounts either.
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { mustRun } from '../launch/capture.js';

/** Create (or replace) `path` as an empty file system of `bytes`. */
export async function createOverlayDisk(path: string, bytes: number, env: NodeJS.ProcessEnv): Promise<void> {
  const fd = openSync(path, 'w', 0o600);
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  await mustRun(
    {
      command: 'mkfs.ext4',
      args: [
        '-q',
        '-F',
        '-O',
        '^has_journal',
        '-E',
        'lazy_itable_init=1,nodiscard',
        '-m',
        '0',
        '-L',
        'pilot-overlay',
        path,
      ],
      env: { ...env, PATH: `${env.PATH ?? ''}:/usr/sbin:/sbin` },
    },
    'creating the VM overlay (mkfs.ext4 from e2fsprogs)',
  );
}
