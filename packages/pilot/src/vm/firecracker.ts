// Firecracker, for hosts that have it: flake-pilot's vm flakes are firecracker flakes, and where
// the `firecracker` binary is installed and KVM works (firecracker has no emulator) vm-pilot
// starts them the way firecracker-pilot does — the flake's boot_args as they are (the image's
// own `sci` as init, root=/dev/vda), the app's command line in `run="..."`, the rootfs and
// overlay as drives, output on the serial console. That keeps flake-pilot's limits
// (console output mixed with kernel messages, no separate stderr); the qemu engine has none of
// them. `hypervisor: firecracker` (or MANTLE_PILOT_HYPERVISOR=firecracker) on a host without
// it is an error naming what is missing; `auto` then uses qemu.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';
import { runForeground } from '../launch/child.js';
import type { LaunchContext } from '../launch/context.js';
import { raise } from '../launch/raise.js';
import { chooseAccel } from './accel.js';
import { createOverlayDisk } from './overlay.js';
import { instanceBootArgs, qemuBinary, type VmSetup } from './setup.js';

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter))
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Which hypervisor runs the flake: `firecracker` only when installed and KVM works. */
export async function firecrackerChoice(
  requested: string,
  _s: VmSetup,
  ctx: LaunchContext,
): Promise<'qemu' | 'firecracker'> {
  if (requested === 'qemu') return 'qemu';
  const bin = onPath('firecracker', ctx.env);
  if (!bin) {
    if (requested === 'firecracker')
      await raise('prerequisite', {
        code: 'FIRECRACKER_UNAVAILABLE',
        message: 'firecracker is unavailable: no firecracker binary on PATH (Debian does not package it)',
        hint: 'install firecracker from its releases, or set hypervisor: qemu (or remove it) to run the flake with qemu -M microvm',
      });
    return 'qemu';
  }
  const kvm = await chooseAccel(qemuBinary(), ctx.env, undefined);
  if (kvm.accel !== 'kvm') {
    if (requested === 'firecracker')
      await raise('prerequisite', {
        code: 'FIRECRACKER_UNAVAILABLE',
        message: `firecracker is unavailable: it needs KVM, and ${kvm.reason ?? 'KVM does not work here'}`,
        hint: 'use hypervisor: qemu (TCG works without KVM)',
      });
    return 'qemu';
  }
  return 'firecracker';
}

/** Run the flake with firecracker, as firecracker-pilot does (plain mode). */
export async function launchFirecracker(ctx: LaunchContext, s: VmSetup): Promise<number> {
  const flake = ctx.resolved.flake;
  if (flake.engine !== 'vm') throw new Error('not a vm flake');
  const fc = flake.data.vm.runtime.firecracker;
  const tmp = mkdtempSync(join(tmpdir(), 'vm-pilot-fc-'));
  try {
    // firecracker-pilot escapes '-' for the kernel command line
    const run = [s.target, ...ctx.args.appArgs].map((a) => a.replace(/-/g, '\\-')).join(' ');
    const bootArgs = [
      ...instanceBootArgs(fc, ctx.args.instance),
      ...(s.overlayBytes ? ['overlay_root=/dev/vdb'] : []),
      `run="${run}"`,
    ];
    const drives = [
      {
        drive_id: 'rootfs',
        path_on_host: s.rootfs,
        is_root_device: true,
        is_read_only: true,
        cache_type: fc.cache_type ?? 'Writeback',
      },
    ];
    if (s.overlayBytes) {
      const disk = join(tmp, 'overlay.ext4');
      await createOverlayDisk(disk, s.overlayBytes, ctx.env);
      drives.push({
        drive_id: 'overlay',
        path_on_host: disk,
        is_root_device: false,
        is_read_only: false,
        cache_type: fc.cache_type ?? 'Writeback',
      });
    }
    const config = {
      'boot-source': {
        kernel_image_path: s.kernel,
        ...(s.initrd ? { initrd_path: s.initrd } : {}),
        boot_args: bootArgs.join(' '),
      },
      drives,
      'machine-config': { vcpu_count: s.vcpus, mem_size_mib: s.memMiB },
    };
    const file = join(tmp, 'firecracker.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    return await runForeground(
      'firecracker',
      ['--no-api', '--id', `pilot-${process.pid}`, '--config-file', file],
      {
        env: ctx.env,
        missing: {
          debianPackage: 'firecracker (not in Debian: install a release binary)',
          purpose: 'run firecracker VMs',
        },
      },
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
