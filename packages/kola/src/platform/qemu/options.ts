import { UsageError } from '@mantle/core/errors';
import type { FlightOptions } from '../types.js';

export type QemuArch = 'x86_64' | 'aarch64';
/** 'bios' (SeaBIOS), 'uefi' (the distribution's OVMF/AAVMF) or the path of a UEFI code image */
export type QemuFirmware = 'bios' | 'uefi' | (string & {});
/**
 * How a machine proves it finished booting, after SSH answers:
 * marker = the tiny image's /run/mantle/ready; systemd = `systemctl is-system-running --wait`
 * and no failed units; auto = marker when the file exists, else systemd when systemctl exists.
 */
type QemuReadiness = 'auto' | 'marker' | 'systemd';

/** Everything the qemu platform needs to boot machines; plain options, no CLI flags. */
export interface QemuFlightOptions extends FlightOptions {
  /** disk image to boot (qcow2 or raw); each machine gets a qcow2 overlay, the image is never written */
  image?: string;
  /** kernel for direct kernel boot (with `initrd` and `append`); combined with `image`, the disk is attached */
  kernel?: string;
  initrd?: string;
  /** kernel command line; default: the tiny image's manifest cmdline, else `console=ttyS0` */
  append?: string;
  /** firmware for disk boot: 'bios' (default), 'uefi' or the path of an OVMF code image */
  firmware?: QemuFirmware;
  /** UEFI variable store template (default: the one next to the code image); copied per machine */
  ovmfVars?: string;
  /** give each machine a TPM 2.0 (swtpm) */
  tpm?: boolean;
  /** boot a given kernel through qemu's qboot instead of SeaBIOS, where qemu has it (default true) */
  qboot?: boolean;
  /** 'auto' probes KVM and falls back to TCG */
  accel?: 'auto' | 'kvm' | 'tcg';
  /** memory per machine (default 512) */
  memoryMiB?: number;
  /** vCPUs per machine (default 1) */
  cpus?: number;
  /**
   * qemu -cpu model (default: `host` with KVM, `max` with TCG). Under TCG `qemu64` boots the
   * tiny image ~15% faster (the kernel picks no AVX code paths TCG emulates slowly), but
   * images built for x86-64-v2 or later need `max`.
   */
  cpuModel?: string;
  arch?: QemuArch;
  /** SSH connection attempts while a machine boots (default 60) */
  sshRetries?: number;
  /** seconds each SSH attempt may take (default 10) */
  sshTimeoutSec?: number;
  readiness?: QemuReadiness;
  /** a public key of the user's (or its private key, with a `.pub` beside it) to authorize too */
  keyPath?: string;
  /** qemu-system-* to run (default found on PATH by arch) */
  qemuBinary?: string;
  /** where the tiny image cache lives (default `${MANTLE_CACHE_DIR:-$XDG_CACHE_HOME/mantle}`) */
  cacheDir?: string;
  /** parent of the flight's temp dir (default os.tmpdir()) */
  tmpDir?: string;
  /** environment for locating tools and the cache (default process.env) */
  env?: NodeJS.ProcessEnv;
  /**
   * the kolet executable to hand every machine on a read-only disk (instead of an SSH upload),
   * with its sha256; the disk image is made once and cached by that hash
   */
  koletExecutable?: { path: string; sha256: string };
}

/** The options with every default applied. */
export interface ResolvedQemuOptions extends QemuFlightOptions {
  firmware: QemuFirmware;
  tpm: boolean;
  qboot: boolean;
  accel: 'auto' | 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  arch: QemuArch;
  sshRetries: number;
  sshTimeoutSec: number;
  readiness: QemuReadiness;
  env: NodeJS.ProcessEnv;
}

function positiveInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError({
      code: 'QEMU_BAD_OPTION',
      message: `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
      hint: `pass a value in that range for ${name}`,
      details: { option: name, value },
    });
  }
  return value;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError({
      code: 'QEMU_BAD_OPTION',
      message: `${name} must be one of ${allowed.join(', ')}, got '${value}'`,
      hint: `pass one of ${allowed.join(', ')}`,
      details: { option: name, value },
    });
  }
  return value as T;
}

/** Apply defaults and reject values that cannot work (UsageError, exit 2). */
export function resolveQemuOptions(opts: QemuFlightOptions): ResolvedQemuOptions {
  const sshTimeoutSec = opts.sshTimeoutSec ?? 10;
  if (!(sshTimeoutSec > 0 && sshTimeoutSec <= 3600)) {
    throw new UsageError({
      code: 'QEMU_BAD_OPTION',
      message: `sshTimeoutSec must be a number of seconds from 0 to 3600, got ${String(sshTimeoutSec)}`,
      hint: 'pass e.g. --ssh-timeout 10',
      details: { option: 'sshTimeoutSec', value: sshTimeoutSec },
    });
  }
  if (opts.initrd && !opts.kernel) {
    throw new UsageError({
      code: 'QEMU_BAD_OPTION',
      message: 'an initrd was given without a kernel',
      hint: 'pass the kernel too (--qemu-kernel), or drop the initrd',
    });
  }
  if (opts.ovmfVars && (opts.firmware ?? 'bios') === 'bios') {
    throw new UsageError({
      code: 'QEMU_BAD_OPTION',
      message: `OVMF variables (${opts.ovmfVars}) were given but the firmware is BIOS`,
      hint: 'pass --qemu-firmware uefi (or an OVMF code image path) with --qemu-ovmf-vars',
    });
  }
  return {
    ...opts,
    firmware: opts.firmware ?? 'bios',
    tpm: opts.tpm ?? false,
    qboot: opts.qboot ?? true,
    accel: oneOf('accel', opts.accel ?? 'auto', ['auto', 'kvm', 'tcg'] as const),
    memoryMiB: positiveInt('memoryMiB', opts.memoryMiB ?? 512, 64, 1024 * 1024),
    cpus: positiveInt('cpus', opts.cpus ?? 1, 1, 256),
    arch: oneOf('arch', opts.arch ?? 'x86_64', ['x86_64', 'aarch64'] as const),
    sshRetries: positiveInt('sshRetries', opts.sshRetries ?? 60, 1, 100_000),
    sshTimeoutSec,
    readiness: oneOf('readiness', opts.readiness ?? 'auto', ['auto', 'marker', 'systemd'] as const),
    env: opts.env ?? process.env,
  };
}
