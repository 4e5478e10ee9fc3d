// Flake files as `pilot ... register` writes them: the layout of flake-ctl's templates
// (include first, then the engine section, every known key present, `~` for unset), so a file
// written here reads the same in flake-pilot and back.
import { stringify } from 'yaml';
import type { BwrapFlake, ContainerFlake, VmFlake } from './schema.js';

const HEADER = '# Registered by mantle pilot; drop-ins in <app>.d/*.yaml change it (see pilot show).\n';

/** YAML text of a flake. */
export function renderFlake(flake: ContainerFlake | VmFlake | BwrapFlake): string {
  return HEADER + stringify(flake, { nullStr: '~', lineWidth: 0 });
}

export interface ContainerRegistration {
  container: string;
  app: string;
  target?: string | undefined;
  base?: string | undefined;
  layers?: string[] | undefined;
  includeTar?: string[] | undefined;
  includePath?: string[] | undefined;
  resume?: boolean;
  attach?: boolean;
  opts?: string[] | undefined;
  runAs: string;
  checkHostDependencies?: boolean;
}

const listOrNull = (v: string[] | undefined): string[] | null => (v && v.length ? v : null);

/** The flake flake-ctl podman register would write for these options. */
export function containerFlake(r: ContainerRegistration): ContainerFlake {
  return {
    include: { tar: listOrNull(r.includeTar), path: listOrNull(r.includePath) },
    container: {
      name: r.container,
      target_app_path: r.target ?? r.app,
      host_app_path: r.app,
      base_container: r.base ?? null,
      check_host_dependencies: r.checkHostDependencies ?? false,
      layers: listOrNull(r.layers),
      runtime: {
        runas: r.runAs,
        resume: r.resume ?? false,
        attach: r.attach ?? false,
        // flake-ctl strips one leading backslash, so `--opt '\--rm'` gets past its option parser
        podman: listOrNull(r.opts?.map((o) => (o.startsWith('\\') ? o.slice(1) : o))),
      },
    },
  };
}

export interface VmRegistration {
  vm: string;
  app: string;
  target?: string | undefined;
  runAs: string;
  overlaySize?: string | undefined;
  noNet?: boolean;
  resume?: boolean;
  forceVsock?: boolean;
  includeTar?: string[] | undefined;
  includePath?: string[] | undefined;
  kernel: string;
  rootfs?: string | undefined;
  initrd?: string | undefined;
}

/** flake-ctl's firecracker template's boot arguments. */
const DEFAULT_BOOT_ARGS = [
  'init=/usr/sbin/sci',
  'console=ttyS0',
  'root=/dev/vda',
  'acpi=off',
  'rd.neednet=1',
  'ip=dhcp',
  'quiet',
];

/** The flake flake-ctl firecracker register would write (with our image paths). */
export function vmFlake(r: VmRegistration): VmFlake {
  const bootArgs = DEFAULT_BOOT_ARGS.filter((a) => !(r.noNet && a.startsWith('ip=')));
  if (r.resume) bootArgs.push('sci_resume=1');
  if (r.forceVsock) bootArgs.push('sci_force_vsock=1');
  return {
    include: { tar: listOrNull(r.includeTar), path: listOrNull(r.includePath) },
    vm: {
      name: r.vm,
      target_app_path: r.target ?? r.app,
      host_app_path: r.app,
      base_vm: null,
      layers: null,
      runtime: {
        runas: r.runAs,
        resume: r.resume ?? false,
        force_vsock: r.forceVsock ?? false,
        firecracker: {
          boot_args: bootArgs,
          overlay_size: r.overlaySize ?? null,
          rootfs_image_path: r.rootfs ?? null,
          kernel_image_path: r.kernel,
          initrd_path: r.initrd ?? null,
          mem_size_mib: 4096,
          vcpu_count: 2,
          cache_type: null,
        },
      },
    },
  };
}

export interface BwrapRegistration {
  name: string;
  rootfs: string;
  app: string;
  target?: string | undefined;
  runAs?: string | undefined;
  network?: boolean;
  includePath?: string[] | undefined;
  includeTar?: string[] | undefined;
  resume?: boolean | undefined;
  writable?: string[] | undefined;
}

/** A bwrap flake (mantle's own engine). */
export function bwrapFlake(r: BwrapRegistration): BwrapFlake {
  return {
    include: { tar: listOrNull(r.includeTar), path: listOrNull(r.includePath) },
    bwrap: {
      name: r.name,
      rootfs: r.rootfs,
      target_app_path: r.target ?? r.app,
      host_app_path: r.app,
      runtime: {
        runas: r.runAs ?? null,
        network: r.network ?? false,
        bwrap: null,
        ...(r.resume ? { resume: true } : {}),
        ...(r.writable?.length ? { writable: r.writable } : {}),
      },
    },
  };
}
