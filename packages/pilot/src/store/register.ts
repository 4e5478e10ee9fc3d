// `pilot <engine> register`: options → flake (render.ts) → store (registry.ts).
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { InputError, UsageError } from '@mantle/core/errors';
import { resolveInRoot } from '@mantle/core/fs';
import { bwrapFlake, containerFlake, vmFlake } from '../flake/render.js';
import { confinedHostPath } from '../provision/paths.js';
import { registerFlake, type RegisterResult, type Store } from './registry.js';

export type Registered = RegisterResult & { warnings: string[] };

/** Include options must be absolute host paths; missing ones are reported (they are read at launch). */
async function checkIncludes(
  store: Store,
  flag: string,
  paths: string[] | undefined,
  warnings: string[],
): Promise<void> {
  for (const p of paths ?? []) {
    if (confinedHostPath(p) === undefined)
      throw new UsageError({
        code: 'INCLUDE_PATH_INVALID',
        message: `${flag} ${p}: must be an absolute host path without ..`,
        hint: 'includes are read on the host at every launch: give their absolute path',
      });
    if (!(await resolveInRoot(store.host.root, p, { what: flag })))
      warnings.push(`${flag} ${p} does not exist (yet); launches fail until it does`);
  }
}

const me = (): string => userInfo().username;

export interface ContainerRegisterOptions {
  container: string;
  app: string;
  target?: string | undefined;
  base?: string | undefined;
  layers?: string[] | undefined;
  includeTar?: string[] | undefined;
  includePath?: string[] | undefined;
  resume: boolean;
  attach: boolean;
  opts?: string[] | undefined;
  runAs?: string | undefined;
  checkHostDependencies: boolean;
  force: boolean;
}

/** flake-ctl podman register. */
export async function registerContainer(store: Store, o: ContainerRegisterOptions): Promise<Registered> {
  const warnings: string[] = [];
  if (o.layers?.length && !o.base)
    throw new UsageError({
      code: 'LAYER_WITHOUT_BASE',
      message: '--layer needs --base: layers are stacked on a base image',
      hint: 'add --base IMAGE',
    });
  await checkIncludes(store, '--include-tar', o.includeTar, warnings);
  await checkIncludes(store, '--include-path', o.includePath, warnings);
  const data = containerFlake({ ...o, runAs: o.runAs ?? me() });
  return { ...(await registerFlake(store, { app: o.app, data, force: o.force })), warnings };
}

export interface VmRegisterOptions {
  vm: string;
  app: string;
  target?: string | undefined;
  runAs?: string | undefined;
  overlaySize?: string | undefined;
  noNet: boolean;
  resume: boolean;
  forceVsock: boolean;
  includeTar?: string[] | undefined;
  includePath?: string[] | undefined;
  force: boolean;
}

/** The image directory `pilot vm pull --name NAME` fills. */
const vmImageDir = (store: Store, name: string): string => join(store.config.vmRegistryDir, 'images', name);

/** flake-ctl firecracker register (pilot vm register). */
export async function registerVm(store: Store, o: VmRegisterOptions): Promise<Registered> {
  const warnings: string[] = [];
  if ((o.includeTar?.length || o.includePath?.length) && !o.overlaySize)
    throw new UsageError({
      code: 'INCLUDE_NEEDS_OVERLAY',
      message: '--include-tar/--include-path need --overlay-size: includes are written to the VM overlay',
      hint: 'add --overlay-size SIZE (e.g. 1GiB)',
    });
  await checkIncludes(store, '--include-tar', o.includeTar, warnings);
  await checkIncludes(store, '--include-path', o.includePath, warnings);
  const dir = vmImageDir(store, o.vm);
  const kernel = join(dir, 'kernel');
  if (!existsSync(kernel))
    throw new InputError({
      code: 'VM_IMAGE_MISSING',
      message: `--vm ${o.vm}: no image of that name (${kernel} does not exist)`,
      hint: `pull it first: pilot vm pull --name ${o.vm} --kernel FILE [--rootfs FILE] [--initrd FILE]`,
    });
  const part = (f: string): string | undefined =>
    existsSync(join(dir, f)) ? store.host.system(join(dir, f)) : undefined;
  const data = vmFlake({
    ...o,
    runAs: o.runAs ?? me(),
    kernel: store.host.system(kernel),
    rootfs: part('rootfs'),
    initrd: part('initrd'),
  });
  return { ...(await registerFlake(store, { app: o.app, data, force: o.force })), warnings };
}

export interface BwrapRegisterOptions {
  app: string;
  /** a root filesystem directory (host path) */
  rootfs?: string | undefined;
  /** or an image to unpack into the store */
  image?: string | undefined;
  name?: string | undefined;
  target?: string | undefined;
  runAs?: string | undefined;
  network: boolean;
  includePath?: string[] | undefined;
  includeTar?: string[] | undefined;
  resume?: boolean | undefined;
  /** sandbox paths given a tmpfs where bubblewrap has no overlay (runtime.writable) */
  writable?: string[] | undefined;
  tlsVerify: boolean;
  force: boolean;
}

/** `pilot bwrap register`: an app run by bubblewrap over an unpacked root filesystem. */
export async function registerBwrap(
  store: Store,
  o: BwrapRegisterOptions,
  ctx: { cwd: string; signal?: AbortSignal },
): Promise<Registered & { rootfs: string }> {
  const warnings: string[] = [];
  if (Boolean(o.rootfs) === Boolean(o.image))
    throw new UsageError({
      code: 'BWRAP_SOURCE',
      message: 'give exactly one of --rootfs DIR or --image IMAGE',
      hint: 'pilot bwrap register --rootfs DIR --app PATH, or --image IMAGE --app PATH',
    });
  await checkIncludes(store, '--include-path', o.includePath, warnings);
  await checkIncludes(store, '--include-tar', o.includeTar, warnings);
  for (const p of o.writable ?? [])
    if (confinedHostPath(p) === undefined)
      throw new UsageError({
        code: 'WRITABLE_PATH_INVALID',
        message: `--writable ${p}: must be an absolute path in the sandbox without ..`,
        hint: 'give the path as the app sees it, e.g. --writable /var/lib/app',
      });
  let rootfs: string;
  let name: string;
  if (o.rootfs) {
    if (!o.rootfs.startsWith('/'))
      throw new UsageError({
        code: 'ROOTFS_INVALID',
        message: `--rootfs ${o.rootfs}: must be an absolute host path`,
        hint: 'give the directory as an absolute path',
      });
    if (!existsSync(join(store.host.path(o.rootfs), o.target ?? o.app)))
      warnings.push(`${o.target ?? o.app} does not exist in ${o.rootfs}; launches fail until it does`);
    rootfs = o.rootfs;
    name = o.name ?? (o.rootfs.split('/').filter(Boolean).at(-1) || 'rootfs');
  } else {
    const { unpackImage, rootfsName } = await import('../bwrap/rootfs.js');
    name = o.name ?? rootfsName(o.image!);
    const dir = await unpackImage(store, o.image!, name, {
      tlsVerify: o.tlsVerify,
      force: o.force,
      cwd: ctx.cwd,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    rootfs = store.host.system(dir);
  }
  const data = bwrapFlake({ ...o, name, rootfs, runAs: o.runAs });
  return { ...(await registerFlake(store, { app: o.app, data, force: o.force })), warnings, rootfs };
}
