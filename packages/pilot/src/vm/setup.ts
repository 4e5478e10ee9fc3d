// A vm flake's settings turned into what qemu needs: paths (through the root override), sizes,
// the kernel command line and the qemu arguments.
import { existsSync } from 'node:fs';
import { flakeFile, type LaunchContext } from '../launch/context.js';
import { raise } from '../launch/raise.js';
import { hostView } from '../store/layout.js';
import type { VmFlake } from '../flake/schema.js';
import type { Accel } from './accel.js';

export interface VmSetup {
  file: string;
  kernel: string;
  initrd: string | undefined;
  rootfs: string | undefined;
  overlayBytes: number | undefined;
  memMiB: number;
  vcpus: number;
  cache: 'writeback' | 'unsafe';
  net: boolean;
  /** flake boot arguments vm-pilot keeps (its own init replaces init=, root=, console=, ip=) */
  bootArgs: string[];
  /** the app's path in the VM */
  target: string;
  resume: boolean;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1e3,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1e6,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1e9,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1e12,
};

/** `20GiB`, `512MB`, `20g`, `1048576` → bytes (KiB… are 1024-based, KB… 1000); undefined otherwise. */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const factor = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  return m && factor ? Math.round(Number(m[1]) * factor) : undefined;
}

/** A boot argument's option name: `ip=dhcp` → `ip`, `quiet` → `quiet`. */
const optionOf = (arg: string): string => arg.split('=', 1)[0]!;

/**
 * The flake's boot_args for an `@NAME` call, as firecracker-pilot merges `instance:` settings:
 * an option the instance sets replaces the global one of the same name, the others are appended.
 */
export function instanceBootArgs(
  fc: Pick<VmFlake['vm']['runtime']['firecracker'], 'boot_args' | 'instance'>,
  instance: string | undefined,
): string[] {
  const global = fc.boot_args ?? [];
  const own = (instance && fc.instance?.[instance]?.boot_args) || [];
  const replaced = new Map(own.map((a) => [optionOf(a), a]));
  const merged = global.map((a) => {
    const r = replaced.get(optionOf(a));
    replaced.delete(optionOf(a));
    return r ?? a;
  });
  return [...merged, ...replaced.values()];
}

// Owned by vm-pilot's init (or meaningless for qemu): dropped from the flake's boot_args.
const OWN = /^(init|rdinit|root|console|ip|panic|reboot)=|^rd\.|^quiet$|^acpi=off$/;

/** Read and check a vm flake's settings. */
export async function vmSetup(ctx: LaunchContext): Promise<VmSetup> {
  const flake = ctx.resolved.flake;
  if (flake.engine !== 'vm') throw new Error('vmSetup: not a vm flake');
  const vm = flake.data.vm;
  const fc = vm.runtime.firecracker;
  const host = hostView(ctx.resolved.config.root);
  const file = flakeFile(ctx);
  const need = async (key: string, p: string | null | undefined): Promise<string | undefined> => {
    if (!p) return undefined;
    const real = host.path(p);
    if (!existsSync(real))
      await raise('prerequisite', {
        code: 'VM_IMAGE_MISSING',
        message: `${file}: vm.runtime.firecracker.${key}: ${real} does not exist`,
        hint: `pull the image again (pilot vm pull --name ${vm.name} ...)`,
      });
    return real;
  };
  let overlayBytes: number | undefined;
  if (fc.overlay_size != null) {
    overlayBytes = parseSize(fc.overlay_size);
    if (!overlayBytes || overlayBytes < 1024 * 1024)
      await raise('input', {
        code: 'VM_OVERLAY_SIZE',
        message: `${file}: vm.runtime.firecracker.overlay_size: ${JSON.stringify(fc.overlay_size)} is not a size of at least 1MiB`,
        hint: 'write it like 20GiB, 512MiB or 2GB',
      });
  }
  const boot = instanceBootArgs(fc, ctx.args.instance);
  return {
    file,
    kernel: (await need('kernel_image_path', fc.kernel_image_path))!,
    initrd: await need('initrd_path', fc.initrd_path),
    rootfs: await need('rootfs_image_path', fc.rootfs_image_path),
    overlayBytes,
    memMiB: fc.mem_size_mib ?? 1024,
    vcpus: fc.vcpu_count ?? 1,
    cache: fc.cache_type === 'Unsafe' ? 'unsafe' : 'writeback',
    net: boot.some((a) => a.startsWith('ip=')),
    bootArgs: boot.filter((a) => !OWN.test(a)),
    target: vm.target_app_path ?? `/${ctx.resolved.name}`,
    resume: vm.runtime.resume === true,
  };
}

/** The qemu binary of this host's architecture. */
export function qemuBinary(): string {
  return process.arch === 'arm64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
}

export interface QemuPlan {
  accel: Accel;
  tscKhz: number | undefined;
  initrd: string;
  console: string;
  /** regular files the output ports write into */
  files: { stdout: string; stderr: string; exit: string };
  /** unix sockets vm-pilot listens on (qemu connects), per port */
  clientSockets: Partial<Record<'cmd' | 'stdin' | 'include' | 'sig', string>>;
  /** a socket qemu listens on (resume VMs) */
  ctlSocket?: string;
  /** the signal channel qemu listens on (resume VMs: each call connects when it must pass one on) */
  sigSocket?: string;
  /** give the app a pseudo-terminal in the VM (TERM for it, when the caller's is a plain name) */
  tty?: { term: string | undefined };
  overlayDisk?: string;
}

// qemu reads `,` as its option separator; a doubled one is a literal comma.
const q = (path: string): string => path.replace(/,/g, ',,');

/** qemu's arguments for a VM. */
export function qemuArgs(s: VmSetup, p: QemuPlan): string[] {
  const arm = process.arch === 'arm64';
  const cmdline = [
    'console=ttyS0',
    'loglevel=3',
    'panic=-1',
    'reboot=t',
    'rdinit=/.pilot/init',
    ...s.bootArgs,
  ];
  if (arm) cmdline[0] = 'console=ttyAMA0';
  if (p.accel === 'tcg' && p.tscKhz && !arm) cmdline.push(`tsc_early_khz=${p.tscKhz}`);
  if (s.net) cmdline.push('pilot.net');
  if (p.tty) {
    cmdline.push('pilot.tty');
    if (p.tty.term && /^[A-Za-z0-9._+-]+$/.test(p.tty.term)) cmdline.push(`pilot.term=${p.tty.term}`);
  }
  // The guest init waits for this many named virtio ports (see guest-init.ts).
  const ports =
    Object.keys(p.clientSockets).length +
    (p.ctlSocket ? 1 : 0) +
    (p.sigSocket ? 1 : 0) +
    Object.keys(p.files).length;
  cmdline.push(`pilot.ports=${ports}`);
  const args = ['-accel', p.accel];
  if (p.accel === 'kvm') args.push('-cpu', 'host');
  else if (arm) args.push('-cpu', 'max,pauth-impdef=on');
  args.push('-M', arm ? 'virt' : 'microvm', '-m', String(s.memMiB), '-smp', String(s.vcpus));
  args.push('-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot');
  args.push('-kernel', s.kernel, '-initrd', p.initrd, '-append', cmdline.join(' '));
  args.push('-serial', `file:${q(p.console)}`);
  args.push('-device', 'virtio-serial-device');
  const port = (id: string, chardev: string): void => {
    args.push('-chardev', chardev, '-device', `virtserialport,chardev=${id},name=pilot.${id}`);
  };
  for (const [id, path] of Object.entries(p.clientSockets)) port(id, `socket,id=${id},path=${q(path)}`);
  if (p.ctlSocket) port('ctl', `socket,id=ctl,path=${q(p.ctlSocket)},server=on,wait=off`);
  if (p.sigSocket) port('sig', `socket,id=sig,path=${q(p.sigSocket)},server=on,wait=off`);
  for (const [id, path] of Object.entries(p.files)) port(id, `file,id=${id},path=${q(path)},append=on`);
  if (s.rootfs) {
    args.push('-drive', `id=root,file=${q(s.rootfs)},format=raw,if=none,readonly=on`);
    args.push('-device', 'virtio-blk-device,drive=root,serial=pilot-root');
  }
  if (p.overlayDisk) {
    args.push('-drive', `id=overlay,file=${q(p.overlayDisk)},format=raw,if=none,cache=${s.cache}`);
    args.push('-device', 'virtio-blk-device,drive=overlay,serial=pilot-overlay');
  }
  if (s.net) args.push('-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0');
  return args;
}
