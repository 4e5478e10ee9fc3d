// Where flake-pilot keeps things, and the root override that moves all of it under one directory.
//
// With a root override (`pilot --root DIR`, or MANTLE_PILOT_ROOT=DIR for the launchers, which
// take no options of their own) every host path pilot reads or writes — /etc/flakes.yml, the
// flakes directory, ids, VM images, the host_app_path symlinks, include files — is taken inside
// DIR, the way `systemctl --root` or `rpm --root` view a system. Paths written into flake files
// stay as they would be on the real system (/usr/bin/aws), so a tree prepared under DIR is the
// same as the real one. Tests use it so they never touch the host's /usr.
import { isAbsolute, join, normalize } from 'node:path';

/** The environment variable naming the root override for launchers and `pilot`. */
export const ROOT_ENV = 'MANTLE_PILOT_ROOT';

/** flake-pilot's defaults (common/src/defaults.rs), plus the directories mantle adds. */
export const DEFAULTS = {
  config: '/etc/flakes.yml',
  /** relative to the caller's home directory */
  userConfig: '.config/flakes.yml',
  flakesDir: '/usr/share/flakes',
  /** relative to the caller's home directory: where `--user` registrations go */
  userFlakesDir: '.config/flakes',
  podmanIdsDir: '/tmp/flakes',
  firecrackerIdsDir: '/tmp/flakes',
  podmanStorageConf: '/etc/flakes/storage.conf',
  /** flake-ctl's firecracker registry: images/<name>/{kernel,rootfs,initrd} */
  vmRegistryDir: '/var/lib/firecracker',
  /** mantle's bwrap engine: unpacked root filesystems, one directory per name */
  bwrapDir: '/var/lib/flakes/bwrap',
} as const;

/** How host paths are seen: the real root, or a directory standing in for it. */
export interface HostView {
  /** '/' or the override directory (absolute, normalized) */
  readonly root: string;
  /** the real location of a host path written as it would be on the system */
  path(p: string): string;
  /** the inverse: how a real path under the root is written in flakes and flakes.yml */
  system(real: string): string;
}

/** A HostView for `root` ('/' for the real system). */
export function hostView(root: string | undefined): HostView {
  const r = root && root !== '/' ? normalize(root).replace(/\/+$/, '') : '/';
  return {
    root: r,
    path: (p) => (r === '/' ? p : join(r, p)),
    system: (real) => (r === '/' || !real.startsWith(`${r}/`) ? real : real.slice(r.length)),
  };
}

/** The root override from `--root`, else the environment; undefined for the real system. */
export function rootFrom(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const value = flag ?? env[ROOT_ENV];
  if (!value) return undefined;
  return isAbsolute(value) ? normalize(value) : join(cwd, value);
}
