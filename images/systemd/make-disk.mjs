#!/usr/bin/env node
// Lay out the systemd test image's disk with @mantle/core (packages/core/dist: run `pnpm build`
// first): Flatcar's GPT layout ("vm" by default: EFI-SYSTEM, BIOS-BOOT, USR-A, USR-B, OEM,
// OEM-CONFIG, ROOT), ROOT and USR-A as ext4 filled from directories (mke2fs -d, no root
// needed), OEM an empty ext4 labelled OEM, EFI-SYSTEM FAT32 (filled from --esp if given).
// USR-B and OEM-CONFIG stay empty, as on a fresh Flatcar image.
//
// Usage: make-disk.mjs --out RAW --root DIR --usr DIR [--esp DIR] [--layout vm|base]
//          [--grub-core CORE.IMG --grub-boot BOOT.IMG]   (BIOS: GRUB boot code in the MBR, core.img in BIOS-BOOT)
// Prints a JSON summary (partitions with offsets) on stdout; logs go to stderr.
import { parseArgs } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const coreDist = join(here, '..', '..', 'packages', 'core', 'dist', 'index.js');

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    root: { type: 'string' },
    usr: { type: 'string' },
    esp: { type: 'string' },
    'grub-core': { type: 'string' },
    'grub-boot': { type: 'string' },
    layout: { type: 'string', default: 'vm' },
  },
  strict: true,
});

function fail(message) {
  process.stderr.write(`make-disk: error: ${message}\n`);
  process.exit(2);
}

if (!values.out || !values.root || !values.usr) fail('--out, --root and --usr are required');

let core;
try {
  core = await import(coreDist);
} catch (err) {
  fail(
    `cannot load ${coreDist} (${err.message}): run \`pnpm install && pnpm build\` in the repository first`,
  );
}

const logger = core.createLogger({ level: process.env.MANTLE_LOG_LEVEL ?? 'warn', stream: process.stderr });
try {
  const result = await core.createDiskImage({
    out: resolve(values.out),
    layout: values.layout,
    overwrite: true,
    fill: {
      ROOT: { dir: resolve(values.root), fsType: 'ext4', label: 'ROOT' },
      'USR-A': { dir: resolve(values.usr), fsType: 'ext4', label: 'USR-A' },
      // Flatcar's OEM is btrfs; ext4 needs no root to make and every kernel mounts it.
      OEM: { fsType: 'ext4', label: 'OEM' },
      'EFI-SYSTEM': {
        fsType: 'vfat',
        label: 'EFI-SYSTEM',
        ...(values.esp ? { dir: resolve(values.esp) } : {}),
      },
    },
    logger,
  });
  // BIOS boot: GRUB's boot code in the MBR, core.img in BIOS-BOOT (no grub-install, no root).
  if (values['grub-core'] || values['grub-boot']) {
    if (!values['grub-core'] || !values['grub-boot']) fail('--grub-core and --grub-boot go together');
    await core.installGrubBios({
      image: resolve(values.out),
      coreImg: resolve(values['grub-core']),
      bootImg: resolve(values['grub-boot']),
    });
  }
  const partitions = result.table.partitions.map((p) => ({
    number: p.number,
    label: p.name,
    type: p.type,
    uuid: p.uuid,
    offset: p.startLba * result.table.sectorSize,
    size: p.sizeLba * result.table.sectorSize,
    filesystem: result.filesystems.find((f) => f.number === p.number)?.fsType ?? null,
  }));
  process.stdout.write(
    JSON.stringify({ layout: result.layout, size: result.size, partitions }, null, 2) + '\n',
  );
} catch (err) {
  const e = core.toMantleError ? core.toMantleError(err) : err;
  fail(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
}
