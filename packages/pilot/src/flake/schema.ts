// The flake file format, as flake-pilot's podman-pilot, firecracker-pilot and flake-ctl read and
// write it (podman-pilot/src/config.rs, firecracker-pilot/src/config.rs, flake-ctl's templates),
// plus mantle's `bwrap:` engine. `~` (null) is accepted wherever flake-pilot has an Option, since
// flake-ctl writes `tar: ~`, `base_container: ~` and so on.
//
// Unknown keys: flake-pilot's serde structs ignore them, so a flake with extra keys works there;
// here too, but every one is reported (file, line, key) so a typo such as `resum: true` does not
// pass unnoticed. MANTLE_PILOT_STRICT=1 makes them errors.
import { z } from 'zod';

const text = z.string();
const optText = z.string().nullish();
const optTexts = z.array(z.string()).nullish();
const optBool = z.boolean().nullish();

/** `include:` — data provisioned into the instance before the app starts. */
const includeSchema = z.object({
  /** tar archives (host paths), unpacked at the instance's `/` */
  tar: optTexts,
  /** host files or directories, copied to the same path in the instance */
  path: optTexts,
});

const containerRuntimeSchema = z.object({
  /** who runs the engine: `root` (through sudo when the caller is not root), a user name, or unset (the caller) */
  runas: optText,
  resume: optBool,
  attach: optBool,
  /** podman create options: one option and its optional value per entry ("--storage-opt size=10G"), %VAR expanded */
  podman: optTexts,
});

const containerSchema = z.object({
  name: text.min(1, 'must not be empty'),
  target_app_path: optText,
  host_app_path: text,
  base_container: optText,
  check_host_dependencies: optBool,
  layers: optTexts,
  runtime: containerRuntimeSchema.nullish(),
});

const firecrackerSchema = z.object({
  boot_args: optTexts,
  /** write space for the VM: bytes, or with a KiB/MiB/GiB/TiB (1024) or KB/MB/GB/TB (1000) suffix */
  overlay_size: z.union([z.string(), z.number().int().positive()]).nullish(),
  rootfs_image_path: optText,
  kernel_image_path: text.min(1, 'must not be empty'),
  initrd_path: optText,
  mem_size_mib: z.number().int().positive().nullish(),
  vcpu_count: z.number().int().positive().nullish(),
  cache_type: z.enum(['Writeback', 'Unsafe']).nullish(),
  /** per `@NAME` settings (flake-ctl's newer template): boot_args that replace or extend the global ones */
  instance: z.record(z.string(), z.object({ boot_args: optTexts }).nullish()).nullish(),
});

const vmRuntimeSchema = z.object({
  runas: optText,
  resume: optBool,
  force_vsock: optBool,
  /** mantle: which hypervisor runs the VM (auto: firecracker when installed and KVM works, else qemu) */
  hypervisor: z.enum(['auto', 'qemu', 'firecracker']).nullish(),
  firecracker: firecrackerSchema,
});

const vmSchema = z.object({
  name: text.min(1, 'must not be empty'),
  target_app_path: optText,
  host_app_path: text,
  base_vm: optText,
  layers: optTexts,
  runtime: vmRuntimeSchema,
});

const bwrapRuntimeSchema = z.object({
  runas: optText,
  /** share the host's network (default: a new network namespace with only loopback) */
  network: optBool,
  /** more bubblewrap arguments, one argv element per entry (no splitting, no expansion) */
  bwrap: optTexts,
  /**
   * flake-pilot's `sandbox:` arguments (bubblewrap-pilot(8)): one option and its values per entry,
   * split at spaces, `%VAR` and `%OVERLAYROOT` expanded; when set they replace the default
   * sandbox (mantle's --unshare-all set) by flake-pilot's own defaults plus these
   */
  bubblewrap: optTexts,
  /** flake-pilot's `%name[:value]` options that are always in effect (a call's own win) */
  pilot_options: optTexts,
  /** keep the sandbox after the first call; later calls run inside it (bwrap/resume.ts) */
  resume: optBool,
  /** accepted so that the error can say why: a sandbox has no console to attach to */
  attach: optBool,
  /**
   * sandbox paths the app may write to where bubblewrap has no `--tmp-overlay` (before 0.11):
   * each gets a fresh, empty tmpfs (the root filesystem's files there are hidden); with an
   * overlay the whole root is writable and these are not needed
   */
  writable: optTexts,
});

const bwrapSchema = z.object({
  /** the root filesystem's name (`pilot bwrap register --image` derives it from the image) */
  name: text.min(1, 'must not be empty'),
  /** the unpacked root filesystem directory on the host */
  rootfs: text.min(1, 'must not be empty'),
  target_app_path: optText,
  host_app_path: text,
  runtime: bwrapRuntimeSchema.nullish(),
});

/**
 * flake-pilot's own bubblewrap flakes (bubblewrap-pilot(8), `flake-ctl bubblewrap register`):
 * `sandbox.name` is the root filesystem tree on the host. Read into the `bwrap:` form (see
 * sandboxToBwrap) and run by bwrap-pilot.
 */
const sandboxSchema = z.object({
  name: text.min(1, 'must not be empty'),
  target_app_path: optText,
  host_app_path: text,
  runtime: z
    .object({
      runas: optText,
      pilot_options: optTexts,
      bubblewrap: optTexts,
    })
    .nullish(),
});

/** bubblewrap-pilot's sandbox when a flake lists no bubblewrap options of its own */
const SANDBOX_DEFAULT_OPTIONS = [
  '--dev /dev',
  '--proc /proc',
  '--tmpfs /tmp',
  '--unshare-pid',
  '--die-with-parent',
];

const containerFlakeSchema = z.object({
  include: includeSchema.nullish(),
  container: containerSchema,
});
const vmFlakeSchema = z.object({ include: includeSchema.nullish(), vm: vmSchema });
const bwrapFlakeSchema = z.object({ include: includeSchema.nullish(), bwrap: bwrapSchema });
const sandboxFlakeSchema = z.object({ include: includeSchema.nullish(), sandbox: sandboxSchema });

export type ContainerFlake = z.infer<typeof containerFlakeSchema>;
export type VmFlake = z.infer<typeof vmFlakeSchema>;
export type BwrapFlake = z.infer<typeof bwrapFlakeSchema>;
export type SandboxFlake = z.infer<typeof sandboxFlakeSchema>;
export type Engine = 'podman' | 'vm' | 'bwrap';

/** A validated flake, tagged with its engine. */
export type Flake =
  | { engine: 'podman'; data: ContainerFlake }
  | { engine: 'vm'; data: VmFlake }
  | { engine: 'bwrap'; data: BwrapFlake };

/** The top-level key that selects each engine, and its schema. */
export const ENGINE_KEYS = {
  container: { engine: 'podman', schema: containerFlakeSchema },
  vm: { engine: 'vm', schema: vmFlakeSchema },
  bwrap: { engine: 'bwrap', schema: bwrapFlakeSchema },
  sandbox: { engine: 'bwrap', schema: sandboxFlakeSchema },
} as const;

/**
 * A `sandbox:` flake in the `bwrap:` form the launcher runs: the tree is the rootfs (and, as
 * pilot lists images by name, the name too), its options are flake-pilot-style `bubblewrap:`
 * arguments — flake-pilot's defaults when it lists none.
 */
export function sandboxToBwrap(f: SandboxFlake): BwrapFlake {
  const s = f.sandbox;
  return {
    ...(f.include !== undefined ? { include: f.include } : {}),
    bwrap: {
      name: s.name,
      rootfs: s.name,
      target_app_path: s.target_app_path ?? null,
      host_app_path: s.host_app_path,
      runtime: {
        runas: s.runtime?.runas ?? null,
        bubblewrap: s.runtime?.bubblewrap ?? SANDBOX_DEFAULT_OPTIONS,
        pilot_options: s.runtime?.pilot_options ?? null,
      },
    },
  };
}

/** `/etc/flakes.yml`, `~/.config/flakes.yml` */
export const flakesConfigSchema = z.object({
  generic: z
    .object({
      flakes_dir: optText,
      podman_ids_dir: optText,
      firecracker_ids_dir: optText,
      podman_storage_conf: optText,
      /** mantle: where `pilot vm pull` stores images (default /var/lib/firecracker) */
      vm_registry_dir: optText,
      /** mantle: where `pilot bwrap register --image` unpacks root filesystems */
      bwrap_dir: optText,
    })
    .nullish(),
});
