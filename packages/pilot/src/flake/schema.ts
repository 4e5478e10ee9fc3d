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
export const includeSchema = z.object({
  /** tar archives (host paths), unpacked at the instance's `/` */
  tar: optTexts,
  /** host files or directories, copied to the same path in the instance */
  path: optTexts,
});

export const containerRuntimeSchema = z.object({
  /** who runs the engine: `root` (through sudo when the caller is not root), a user name, or unset (the caller) */
  runas: optText,
  resume: optBool,
  attach: optBool,
  /** podman create options: one option and its optional value per entry ("--storage-opt size=10G"), %VAR expanded */
  podman: optTexts,
});

export const containerSchema = z.object({
  name: text.min(1, 'must not be empty'),
  target_app_path: optText,
  host_app_path: text,
  base_container: optText,
  check_host_dependencies: optBool,
  layers: optTexts,
  runtime: containerRuntimeSchema.nullish(),
});

export const firecrackerSchema = z.object({
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

export const vmRuntimeSchema = z.object({
  runas: optText,
  resume: optBool,
  force_vsock: optBool,
  /** mantle: which hypervisor runs the VM (auto: firecracker when installed and KVM works, else qemu) */
  hypervisor: z.enum(['auto', 'qemu', 'firecracker']).nullish(),
  firecracker: firecrackerSchema,
});

export const vmSchema = z.object({
  name: text.min(1, 'must not be empty'),
  target_app_path: optText,
  host_app_path: text,
  base_vm: optText,
  layers: optTexts,
  runtime: vmRuntimeSchema,
});

export const bwrapRuntimeSchema = z.object({
  runas: optText,
  /** share the host's network (default: a new network namespace with only loopback) */
  network: optBool,
  /** more bubblewrap arguments, one argv element per entry (no splitting, no expansion) */
  bwrap: optTexts,
});

export const bwrapSchema = z.object({
  /** the root filesystem's name (`pilot bwrap register --image` derives it from the image) */
  name: text.min(1, 'must not be empty'),
  /** the unpacked root filesystem directory on the host */
  rootfs: text.min(1, 'must not be empty'),
  target_app_path: optText,
  host_app_path: text,
  runtime: bwrapRuntimeSchema.nullish(),
});

export const containerFlakeSchema = z.object({
  include: includeSchema.nullish(),
  container: containerSchema,
});
export const vmFlakeSchema = z.object({ include: includeSchema.nullish(), vm: vmSchema });
export const bwrapFlakeSchema = z.object({ include: includeSchema.nullish(), bwrap: bwrapSchema });

export type ContainerFlake = z.infer<typeof containerFlakeSchema>;
export type VmFlake = z.infer<typeof vmFlakeSchema>;
export type BwrapFlake = z.infer<typeof bwrapFlakeSchema>;
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
} as const;

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
export type FlakesConfigFile = z.infer<typeof flakesConfigSchema>;
