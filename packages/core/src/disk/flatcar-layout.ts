// Flatcar's disk layouts (build_library/disk_layout.json in flatcar/scripts), as data: partitions
// aligned to 2 MiB (4096 sectors), disk sizes to 258048 sectors (a multiple of both 2 MiB and the
// 16-head/63-sector CHS cylinder VHD wants). USR-A/USR-B keep their fixed GUIDs because the
// initramfs finds /usr by them; USR-A is prioritized (GUID:48,56 = priority 1, successful).
// EFI-SYSTEM carries the legacy-BIOS-bootable attribute ("hybrid") as Flatcar images do.

/** The Flatcar disk layout config (format of disk_layout.json). */
export const FLATCAR_LAYOUT_CONFIG = {
  metadata: {
    part_alignment: 4096,
    disk_alignment: 258048,
    block_size: 512,
    fs_block_size: 4096,
  },
  layouts: {
    base: {
      '1': {
        label: 'EFI-SYSTEM',
        fs_label: 'EFI-SYSTEM',
        type: 'efi',
        blocks: '2097152',
        fs_type: 'vfat',
        mount: '/boot',
        features: ['hybrid'],
      },
      '2': { label: 'BIOS-BOOT', type: 'bios', blocks: '4096' },
      '3': {
        label: 'USR-A',
        uuid: '7130c94a-213a-4e5a-8e26-6cce9662f132',
        type: 'flatcar-usr',
        blocks: '4194304',
        fs_blocks: '260094',
        fs_type: 'btrfs',
        mount: '/usr',
        features: ['prioritize', 'verity'],
      },
      '4': {
        label: 'USR-B',
        uuid: 'e03dd35c-7c2d-4a47-b3fe-27f15780a57c',
        type: 'flatcar-usr',
        blocks: '4194304',
        fs_blocks: '262144',
      },
      '5': { label: 'ROOT-C', uuid: 'd82521b4-07ac-4f1c-8840-ddefedc332f3', type: 'blank', blocks: '0' },
      '6': {
        label: 'OEM',
        fs_label: 'OEM',
        type: 'data',
        blocks: '2097152',
        fs_type: 'btrfs',
        mount: '/oem',
      },
      '7': { label: 'OEM-CONFIG', type: 'flatcar-reserved', blocks: '131072' },
      '8': { label: 'flatcar-reserved', type: 'blank', blocks: '0' },
      '9': {
        label: 'ROOT',
        fs_label: 'ROOT',
        type: 'flatcar-resize',
        blocks: '3653632',
        fs_type: 'ext4',
        mount: '/',
      },
    },
    vm: {
      '9': { label: 'ROOT', fs_label: 'ROOT', blocks: '12943360' },
    },
  },
} as const;

/** Partition labels of a Flatcar disk. */
export const FlatcarLabel = {
  EFI: 'EFI-SYSTEM',
  BIOS: 'BIOS-BOOT',
  USR_A: 'USR-A',
  USR_B: 'USR-B',
  OEM: 'OEM',
  OEM_CONFIG: 'OEM-CONFIG',
  ROOT: 'ROOT',
} as const;

/** The fixed partition GUIDs of USR-A and USR-B. */
export const USR_A_UUID = '7130C94A-213A-4E5A-8E26-6CCE9662F132';
export const USR_B_UUID = 'E03DD35C-7C2D-4A47-B3FE-27F15780A57C';
