// A small Flatcar-layout disk made with core's layout code (ROOT and OEM as ext4) for the bake tests.
import { join } from 'node:path';
import {
  createDiskImage,
  FLATCAR_LAYOUT_CONFIG,
  parseLayoutConfig,
  type DiskLayout,
} from '@mantle/core/disk';
import { makeTree } from './helpers.js';

/** Flatcar's partition table, shrunk to a few hundred MiB so tests stay fast. */
function miniFlatcar(opts: { oemFs?: 'ext4' | 'btrfs' } = {}): DiskLayout {
  const cfg = structuredClone(FLATCAR_LAYOUT_CONFIG) as unknown as {
    layouts: { base: Record<string, Record<string, unknown>> };
  };
  const b = cfg.layouts.base;
  b['1']!.blocks = '131072';
  b['3']!.blocks = '65536';
  delete b['3']!.fs_blocks;
  b['4']!.blocks = '65536';
  delete b['4']!.fs_blocks;
  b['6']!.blocks = '131072';
  b['6']!.fs_type = opts.oemFs ?? 'ext4';
  b['7']!.blocks = '4096';
  b['9']!.blocks = '262144';
  return parseLayoutConfig(cfg, { source: 'mini-flatcar' });
}

/** WORK/NAME.img: a mini Flatcar disk whose ROOT holds /etc/motd and /etc/extensions. */
export async function miniFlatcarDisk(
  work: string,
  name: string,
  opts: { oemFs?: 'ext4' | 'btrfs' } = {},
): Promise<string> {
  const rootfs = await makeTree(join(work, `rootfs-${name}`), {
    'etc/motd': 'hi\n',
    'etc/extensions/.keep': '',
  });
  const out = join(work, `${name}.img`);
  await createDiskImage({ out, layout: miniFlatcar(opts), fill: { ROOT: { dir: rootfs } } });
  return out;
}
