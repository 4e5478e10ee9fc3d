import { readFile } from 'node:fs/promises';
import { InputError } from '@mantle/core/errors';
import type { QemuFormatSettings } from '../convert/convert-image.js';

// The per-platform table of the SDK's image_to_vm.sh (build_library/vm_image_util.sh): which
// disk format, how large the ROOT partition, what the OEM partition says, and which extra files
// (launcher script, .vmx) go with the image. Data, not code: `--platforms-file` adds or overrides
// entries with the same fields.

/** Disk formats `ore image to-vm` writes. */
export const VM_DISK_FORMATS = ['raw', 'qcow2', 'vmdk', 'vmdk_stream', 'vhd', 'gce'] as const;
export type VmDiskFormat = (typeof VM_DISK_FORMATS)[number];

/** Side files written next to the image. */
export const VM_CONF_FORMATS = ['qemu', 'qemu_uefi', 'vmx'] as const;
export type VmConfFormat = (typeof VM_CONF_FORMATS)[number];

/** One platform of the table. */
export interface VmPlatform {
  name: string;
  /** what `set oem_id=` says (and Ignition/Afterburn key on): the name, but ec2 for ami */
  oemId: string;
  /** GRUB lines after oem_id (kernel arguments, consoles) */
  grub?: string;
  diskFormat: VmDiskFormat;
  /** sectors of ROOT: base 3653632, vm 12943360, azure 50876416 (disk_layout.json) */
  rootSectors: number;
  /** file name ending of the image */
  extension: string;
  conf?: VmConfFormat;
  /** qemu-img settings for qcow2/vmdk */
  qemu?: QemuFormatSettings;
  /** memory in MiB for launcher/config files */
  memoryMiB?: number;
}

export const ROOT_SECTORS = { base: 3653632, vm: 12943360, azure: 50876416 } as const;

const SERIAL_PC = [
  'if [ "$grub_platform" = pc ]; then',
  '\tset linux_console="console=ttyS0,115200n8"',
  '\tserial com0 --speed=115200 --word=8 --parity=no',
  '\tterminal_input serial_com0',
  '\tterminal_output serial_com0',
  'fi',
].join('\n');

const QCOW2: QemuFormatSettings = { compress: true, options: ['compat=0.10'] };

/** The built-in platforms. */
export const BUILTIN_PLATFORMS: readonly VmPlatform[] = [
  {
    name: 'qemu',
    oemId: 'qemu',
    grub: 'set linux_append="flatcar.autologin"',
    diskFormat: 'qcow2',
    rootSectors: ROOT_SECTORS.vm,
    extension: 'img',
    conf: 'qemu',
    qemu: QCOW2,
  },
  {
    name: 'qemu_uefi',
    oemId: 'qemu',
    grub: 'set linux_append="flatcar.autologin"',
    diskFormat: 'qcow2',
    rootSectors: ROOT_SECTORS.vm,
    extension: 'img',
    conf: 'qemu_uefi',
    qemu: QCOW2,
  },
  {
    name: 'ami',
    oemId: 'ec2',
    grub: [
      '# Disable `ens3` style names, so eth0 is used for both ixgbevf or xen.',
      'set linux_append="modprobe.blacklist=xen_fbfront net.ifnames=0 nvme_core.io_timeout=4294967295"',
      '',
      SERIAL_PC,
    ].join('\n'),
    diskFormat: 'raw',
    rootSectors: ROOT_SECTORS.vm,
    extension: 'bin',
  },
  {
    name: 'ami_vmdk',
    oemId: 'ec2',
    grub:
      'set linux_append="modprobe.blacklist=xen_fbfront net.ifnames=0 nvme_core.io_timeout=4294967295"\n\n' +
      SERIAL_PC,
    diskFormat: 'vmdk_stream',
    rootSectors: ROOT_SECTORS.vm,
    extension: 'vmdk',
  },
  {
    name: 'azure',
    oemId: 'azure',
    grub: [
      'set linux_append="flatcar.autologin"',
      '',
      '# Azure only has a serial console.',
      'serial --unit=0 --speed=115200 --word=8 --parity=no',
      'terminal_input serial',
      'terminal_output serial',
      '',
      'set linux_console="console=tty1 console=ttyS0,115200n8 earlyprintk=ttyS0,115200"',
    ].join('\n'),
    diskFormat: 'vhd',
    rootSectors: ROOT_SECTORS.azure,
    extension: 'vhd',
  },
  {
    name: 'gce',
    oemId: 'gce',
    grub: [
      '# GCE only has a serial console.',
      'set linux_console="console=ttyS0,115200n8"',
      'serial com0 --speed=115200 --word=8 --parity=no',
      'terminal_input serial_com0',
      'terminal_output serial_com0',
    ].join('\n'),
    diskFormat: 'gce',
    rootSectors: ROOT_SECTORS.vm,
    extension: 'tar.gz',
  },
  {
    name: 'vmware',
    oemId: 'vmware',
    grub: 'set linux_append="flatcar.autologin"',
    diskFormat: 'vmdk',
    rootSectors: ROOT_SECTORS.vm,
    extension: 'vmdk',
    conf: 'vmx',
    qemu: { options: ['adapter_type=lsilogic'] },
  },
  {
    name: 'openstack',
    oemId: 'openstack',
    grub: 'set linux_append="flatcar.autologin"',
    diskFormat: 'qcow2',
    rootSectors: ROOT_SECTORS.vm,
    extension: 'img',
    qemu: QCOW2,
  },
  {
    name: 'digitalocean',
    oemId: 'digitalocean',
    diskFormat: 'raw',
    rootSectors: ROOT_SECTORS.base,
    extension: 'bin',
  },
];

/** The built-in platforms plus those of a platforms file (which win on a name clash). */
export async function loadPlatforms(file?: string): Promise<VmPlatform[]> {
  const table = new Map(BUILTIN_PLATFORMS.map((p) => [p.name, p]));
  if (file) for (const p of await readPlatformsFile(file)) table.set(p.name, { ...table.get(p.name), ...p });
  return [...table.values()];
}

/** One platform by name; unknown names are a usage error listing the known ones. */
export function findPlatform(table: readonly VmPlatform[], name: string): VmPlatform {
  const p = table.find((q) => q.name === name);
  if (p) return p;
  throw new InputError({
    code: 'VM_UNKNOWN_PLATFORM',
    message: `unknown platform "${name}"`,
    hint: `use one of: ${table.map((q) => q.name).join(', ')} (or add it with --platforms-file)`,
    details: { flag: '--platform', value: name },
  });
}

/**
 * Read a platforms file: JSON `{"platforms": [{name, oemId, diskFormat, rootSectors, extension,
 * grub?, conf?, qemu?, memoryMiB?}, ...]}`. An entry naming a built-in platform may give only the
 * fields it changes.
 */
export async function readPlatformsFile(file: string): Promise<VmPlatform[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError({
      code: 'VM_PLATFORMS_FILE',
      message: `cannot read the platforms file ${file}: ${(err as Error).message}`,
      hint: 'pass an existing JSON file with --platforms-file',
      cause: err,
      details: { file },
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(file, `is not JSON (${(err as Error).message})`);
  }
  const list = (doc as { platforms?: unknown } | null)?.platforms;
  if (!Array.isArray(list)) throw bad(file, 'has no "platforms" array');
  return list.map((raw, i) => checkEntry(file, raw, i));
}

function checkEntry(file: string, raw: unknown, i: number): VmPlatform {
  const where = `platforms[${i}]`;
  if (typeof raw !== 'object' || raw === null) throw bad(file, `${where} is not an object`);
  const e = raw as Record<string, unknown>;
  const builtin = BUILTIN_PLATFORMS.find((p) => p.name === e.name);
  const str = (k: string, required: boolean): void => {
    if (e[k] === undefined && (!required || builtin)) return;
    if (typeof e[k] !== 'string' || e[k] === '') throw bad(file, `${where}.${k} must be a non-empty string`);
  };
  if (typeof e.name !== 'string' || !/^[a-z0-9_]+$/.test(e.name))
    throw bad(file, `${where}.name must be lower-case letters, digits and _`);
  str('oemId', true);
  str('extension', true);
  str('grub', false);
  if (e.diskFormat !== undefined || !builtin) {
    if (!(VM_DISK_FORMATS as readonly unknown[]).includes(e.diskFormat))
      throw bad(file, `${where}.diskFormat must be one of ${VM_DISK_FORMATS.join(', ')}`);
  }
  if (e.conf !== undefined && !(VM_CONF_FORMATS as readonly unknown[]).includes(e.conf))
    throw bad(file, `${where}.conf must be one of ${VM_CONF_FORMATS.join(', ')}`);
  if (e.rootSectors !== undefined || !builtin) {
    if (!Number.isSafeInteger(e.rootSectors) || (e.rootSectors as number) <= 0)
      throw bad(file, `${where}.rootSectors must be a positive whole number of 512-byte sectors`);
  }
  if (e.memoryMiB !== undefined && (!Number.isSafeInteger(e.memoryMiB) || (e.memoryMiB as number) <= 0))
    throw bad(file, `${where}.memoryMiB must be a positive whole number`);
  return e as unknown as VmPlatform;
}

function bad(file: string, what: string): InputError {
  return new InputError({
    code: 'VM_PLATFORMS_FILE',
    message: `${file} ${what}`,
    hint: 'see `ore image to-vm --help` for the fields of a platform',
    details: { file },
  });
}
