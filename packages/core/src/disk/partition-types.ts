import { isGuid, normalizeGuid } from './guid.js';

/** Well-known GPT partition type GUIDs mantle deals with. */
export const PartitionType = {
  EFI_SYSTEM: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  BIOS_BOOT: '21686148-6449-6E6F-744E-656564454649',
  LINUX_DATA: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  /** Flatcar (and CoreOS before it) /usr partitions USR-A and USR-B */
  FLATCAR_USR: '5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6',
  /** Flatcar ROOT: grown to fill the disk on first boot */
  FLATCAR_RESIZE: '3884DD41-8582-4404-B9A8-E9B84F2DF50E',
  /** Flatcar reserved (OEM-CONFIG) */
  FLATCAR_RESERVED: 'C95DC21A-DF0E-4340-8D7B-26CBFA9A03E0',
} as const;

/**
 * Type aliases a layout may use instead of a GUID. These are the names Flatcar's disk_layout.json
 * passes to cgpt; `blank` means "no partition here". The coreos-* spellings are the older names.
 */
export const TYPE_ALIASES: Readonly<Record<string, string>> = {
  efi: PartitionType.EFI_SYSTEM,
  bios: PartitionType.BIOS_BOOT,
  data: PartitionType.LINUX_DATA,
  'flatcar-usr': PartitionType.FLATCAR_USR,
  'flatcar-rootfs': PartitionType.FLATCAR_USR,
  'flatcar-resize': PartitionType.FLATCAR_RESIZE,
  'flatcar-reserved': PartitionType.FLATCAR_RESERVED,
  'coreos-usr': PartitionType.FLATCAR_USR,
  'coreos-rootfs': PartitionType.FLATCAR_USR,
  'coreos-resize': PartitionType.FLATCAR_RESIZE,
  'coreos-reserved': PartitionType.FLATCAR_RESERVED,
};

/** The alias that means "leave this partition slot empty". */
export const BLANK_TYPE = 'blank';

const NAMES: Readonly<Record<string, string>> = {
  [PartitionType.EFI_SYSTEM]: 'EFI System',
  [PartitionType.BIOS_BOOT]: 'BIOS boot',
  [PartitionType.LINUX_DATA]: 'Linux filesystem',
  [PartitionType.FLATCAR_USR]: 'Flatcar /usr',
  [PartitionType.FLATCAR_RESIZE]: 'Flatcar root (resize)',
  [PartitionType.FLATCAR_RESERVED]: 'Flatcar reserved',
};

/** The GUID a type alias or GUID string stands for; undefined for an unknown alias. */
export function resolvePartitionType(typeOrAlias: string): string | undefined {
  if (isGuid(typeOrAlias)) return normalizeGuid(typeOrAlias);
  return TYPE_ALIASES[typeOrAlias.toLowerCase()];
}

/** A human name for a type GUID ("EFI System"), or undefined when we do not know it. */
export function partitionTypeName(guid: string): string | undefined {
  return NAMES[guid.toUpperCase()];
}
