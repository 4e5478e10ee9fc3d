import { access, constants, copyFile, chmod, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError, PrerequisiteError } from '@mantle/core/errors';
import { checkInputPath } from '@mantle/core/fs';
import type { QemuArch, QemuFirmware } from './options.js';

/** UEFI firmware for one flight: a read-only code image and a variable store template. */
export interface UefiFirmware {
  code: string;
  varsTemplate: string;
  /** Secure Boot builds need SMM and a secure pflash */
  secureBoot: boolean;
}

// The distribution's firmware, first match wins (Debian/Ubuntu names, then Fedora's).
const CANDIDATES: Record<QemuArch, { code: string; vars: string; pkg: string }[]> = {
  x86_64: [
    { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd', pkg: 'ovmf' },
    { code: '/usr/share/OVMF/OVMF_CODE.fd', vars: '/usr/share/OVMF/OVMF_VARS.fd', pkg: 'ovmf' },
    { code: '/usr/share/edk2/ovmf/OVMF_CODE.fd', vars: '/usr/share/edk2/ovmf/OVMF_VARS.fd', pkg: 'ovmf' },
  ],
  aarch64: [
    {
      code: '/usr/share/AAVMF/AAVMF_CODE.fd',
      vars: '/usr/share/AAVMF/AAVMF_VARS.fd',
      pkg: 'qemu-efi-aarch64',
    },
    {
      code: '/usr/share/edk2/aarch64/QEMU_EFI-pflash.raw',
      vars: '/usr/share/edk2/aarch64/vars-template-pflash.raw',
      pkg: 'qemu-efi-aarch64',
    },
  ],
};

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolve --qemu-firmware (not 'bios') and --qemu-ovmf-vars to files: a path given that is not
 * there is exit 2 naming the flag; no distribution firmware for 'uefi' is exit 3 naming the package.
 */
export async function resolveUefiFirmware(
  firmware: QemuFirmware,
  arch: QemuArch,
  ovmfVars?: string,
): Promise<UefiFirmware> {
  let code: string | undefined;
  let vars: string | undefined = ovmfVars
    ? await checkInputPath(ovmfVars, { cwd: process.cwd(), flag: '--qemu-ovmf-vars' })
    : undefined;
  if (firmware === 'uefi') {
    for (const c of CANDIDATES[arch]) {
      if ((await readable(c.code)) && (vars !== undefined || (await readable(c.vars)))) {
        code = c.code;
        vars ??= c.vars;
        break;
      }
    }
    if (!code) {
      const pkg = CANDIDATES[arch][0]?.pkg ?? 'ovmf';
      throw new PrerequisiteError({
        code: 'QEMU_FIRMWARE_MISSING',
        message: `no UEFI firmware for ${arch} was found (looked for ${CANDIDATES[arch].map((c) => c.code).join(', ')})`,
        hint: `install it: apt-get install ${pkg}, or pass the code image path as --qemu-firmware`,
        details: { arch },
      });
    }
  } else {
    // A path the user gave that is not there is their input (exit 2), not a missing package.
    code = await checkInputPath(firmware, { cwd: process.cwd(), flag: '--qemu-firmware' });
    // OVMF_CODE_4M.fd pairs with OVMF_VARS_4M.fd, AAVMF_CODE.fd with AAVMF_VARS.fd, ...
    vars ??= join(dirname(code), basename(code).replace('CODE', 'VARS'));
  }
  if (vars === undefined || !(await readable(vars))) {
    throw new InputError({
      code: 'QEMU_FIRMWARE_VARS_MISSING',
      message: `UEFI variable store template ${vars} does not exist or is not readable`,
      hint: 'pass the variables file that belongs to the firmware with --qemu-ovmf-vars',
      details: { path: vars },
    });
  }
  // Debian's .ms/.snakeoil names are symlinks to the secboot build: look at the real file.
  const real = basename(await realpath(code));
  return { code, varsTemplate: vars, secureBoot: /secboot|\.ms\.|snakeoil/i.test(real) };
}

/** A writable per-machine copy of the variable store. */
export async function copyUefiVars(fw: UefiFirmware, dest: string): Promise<void> {
  await copyFile(fw.varsTemplate, dest);
  await chmod(dest, 0o600);
}

// Where distributions put qemu's firmware blobs (Debian's qemu-system-data, Fedora's qemu).
const QBOOT_CANDIDATES = ['/usr/share/qemu/qboot.rom', '/usr/share/qemu-firmware/qboot.rom'];

/**
 * qboot, qemu's minimal x86 BIOS, for direct kernel boots: it loads the -kernel/-initrd from
 * fw_cfg and jumps to it, skipping SeaBIOS's device scan and option ROMs. Under TCG that cuts
 * ~0.5-1 s of CPU from every boot and every reboot (measured: 3.9 s instead of 4.7 s of qemu CPU
 * from qemu start to init on the tiny image). It boots nothing but a kernel, so it is only for
 * machines given one; undefined when qemu ships no qboot.rom (SeaBIOS then, as before).
 */
export async function findQboot(arch: QemuArch): Promise<string | undefined> {
  if (arch !== 'x86_64') return undefined;
  for (const path of QBOOT_CANDIDATES) if (await readable(path)) return path;
  return undefined;
}
