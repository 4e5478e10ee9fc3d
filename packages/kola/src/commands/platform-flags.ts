import type { Argv } from 'yargs';

// The platform flags `kola run`, `spawn`, `check` and `bootchart` share, and how they become the
// raw (unvalidated) platform part of RunOptions/SpawnOptions.

/** --platform, --image, --key..., --qemu-*: how to boot machines. */
export function platformFlags<T>(y: Argv<T>) {
  return y
    .option('platform', {
      alias: 'p',
      type: 'string',
      default: 'qemu',
      describe: 'platform to boot machines on',
    })
    .option('basename', { type: 'string', default: 'kola', describe: 'prefix of machine and cluster names' })
    .option('key', {
      type: 'string',
      array: true,
      describe: 'SSH public key to authorize on the machines (repeatable)',
    })
    .option('keys', {
      alias: 'k',
      type: 'boolean',
      default: false,
      describe: 'authorize --key, or ~/.ssh/id_*.pub without one',
    })
    .option('remove', {
      alias: 'r',
      type: 'boolean',
      default: true,
      describe: 'destroy machines afterwards (--remove=false keeps them)',
    })
    .option('output-dir', {
      type: 'string',
      describe: 'output directory (default _kola_temp/<platform>-<date>-<pid>)',
    })
    .option('ssh-retries', {
      type: 'number',
      default: 60,
      describe: 'SSH connection attempts while a machine boots',
    })
    .option('ssh-timeout', { type: 'number', default: 10, describe: 'seconds each SSH attempt may take' })
    .option('board', {
      type: 'string',
      describe: 'mantle compatibility: amd64-usr or arm64-usr (sets --qemu-arch)',
    })
    .option('image', {
      alias: 'image-name',
      type: 'string',
      describe:
        'image to boot: a cached test image name (tiny, systemd), an image directory with manifest.json, or a disk image file',
    })
    .option('qemu-image', { type: 'string', describe: 'disk image to boot (default: the tiny test image)' })
    .option('qemu-kernel', { type: 'string', describe: 'kernel for direct boot' })
    .option('qemu-initrd', { type: 'string', describe: 'initrd for direct boot' })
    .option('qemu-append', { type: 'string', describe: 'kernel command line for direct boot' })
    .option('qemu-firmware', { type: 'string', describe: 'bios, uefi or an OVMF code image' })
    .option('qemu-ovmf-vars', { type: 'string', describe: 'UEFI variable store template' })
    .option('qemu-tpm', { type: 'boolean', default: false, describe: 'give each machine a TPM 2.0 (swtpm)' })
    .option('qemu-accel', {
      choices: ['auto', 'kvm', 'tcg'] as const,
      default: 'auto' as const,
      describe: 'accelerator',
    })
    .option('qemu-memory', { type: 'number', describe: 'memory per machine in MiB (default 512)' })
    .option('qemu-cpus', { type: 'number', describe: 'vCPUs per machine (default 1)' })
    .option('qemu-arch', { choices: ['x86_64', 'aarch64'] as const, describe: 'guest architecture' })
    .option('qemu-vnc', {
      type: 'string',
      describe: 'accepted for mantle compatibility; no VNC display yet',
    });
}

/** The parsed platform flags (what `platformFlags` declares, camel-cased). */
export interface PlatformArgs {
  platform: string;
  image?: string | undefined;
  basename: string;
  key?: string[] | undefined;
  keys: boolean;
  remove: boolean;
  outputDir?: string | undefined;
  sshRetries: number;
  sshTimeout: number;
  board?: string | undefined;
  qemuImage?: string | undefined;
  qemuKernel?: string | undefined;
  qemuInitrd?: string | undefined;
  qemuAppend?: string | undefined;
  qemuFirmware?: string | undefined;
  qemuOvmfVars?: string | undefined;
  qemuTpm: boolean;
  qemuAccel: string;
  qemuMemory?: number | undefined;
  qemuCpus?: number | undefined;
  qemuArch?: string | undefined;
  qemuVnc?: string | undefined;
}

/** The raw (unvalidated) platform part of RunOptions/SpawnOptions from parsed flags. */
export function platformOptions(a: PlatformArgs): Record<string, unknown> {
  const boardArch: Record<string, string> = { 'amd64-usr': 'x86_64', 'arm64-usr': 'aarch64' };
  return {
    platform: a.platform,
    image: a.image,
    basename: a.basename,
    key: a.key ?? [],
    keys: a.keys,
    remove: a.remove,
    outputDir: a.outputDir,
    sshRetries: a.sshRetries,
    sshTimeoutSec: a.sshTimeout,
    qemu: {
      image: a.qemuImage,
      kernel: a.qemuKernel,
      initrd: a.qemuInitrd,
      append: a.qemuAppend,
      firmware: a.qemuFirmware,
      ovmfVars: a.qemuOvmfVars,
      tpm: a.qemuTpm,
      accel: a.qemuAccel,
      memoryMiB: a.qemuMemory,
      cpus: a.qemuCpus,
      arch: a.qemuArch ?? (a.board ? (boardArch[a.board] ?? a.board) : undefined),
      vnc: a.qemuVnc,
    },
  };
}
