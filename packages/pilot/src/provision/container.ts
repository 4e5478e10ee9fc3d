// Provisioning a created (not yet started) container, as podman-pilot does before the start:
//   1. delta containers: the base image is what was created; each `layers:` image and then the
//      flake's own image are laid over it, in order (podman cp out of a throw-away container | podman cp in);
//   2. host dependencies: with `check_host_dependencies: true`, the host files the instance's
//      `/removed` list names are copied in (missing ones skipped, as flake-pilot's rsync
//      --ignore-missing-args does). Unlike flake-pilot this is not implied by a base container,
//      and an image's `/systemfiles` script is never run on the host: both would let an image
//      decide what of the host it reads;
//   3. `include.tar` archives are unpacked at `/`, `include.path` host paths copied to the same
//      path (flake-pilot does includes only for delta containers; here always).
// Everything goes in through `podman cp` from a tar stream whose entries are checked first
// (tar-check.ts), so it works for rootless podman too and nothing is mounted on the host.
import { pipeline } from 'node:stream/promises';
import { finish, mustRun, start, capture, tail } from '../launch/capture.js';
import { raise } from '../launch/raise.js';
import type { HostView } from '../store/layout.js';
import type { PodmanCli } from '../podman/podman-cli.js';
import { hostPathsSource, type TarSource } from './tar-source.js';
import { includeSources } from './includes.js';
import { tarCheck, UnsafeTarEntry } from './tar-check.js';
import { confinedHostPath, firstFileOfTar } from './paths.js';

export interface ContainerProvision {
  podman: PodmanCli;
  cid: string;
  host: HostView;
  env: NodeJS.ProcessEnv;
  /** the flake file, named in errors */
  flakeFile: string;
  /** `%ignore_sync_error`: missing include paths and host files are warnings, not errors */
  ignoreSyncError: boolean;
  warn: (message: string) => void;
}

export interface ContainerSettings {
  name: string;
  base_container?: string | null;
  layers?: string[] | null;
  check_host_dependencies?: boolean | null;
}

export interface IncludeSettings {
  tar?: string[] | null;
  path?: string[] | null;
}

/** Stream a tar into the container at `/`, checking every entry on the way. */
async function copyIn(p: ContainerProvision, source: TarSource, what: string): Promise<void> {
  const inv = p.podman.call(['cp', '--archive=false', '-', `${p.cid}:/`]);
  const check = tarCheck();
  const child = start(inv, check);
  const done = finish(child, inv);
  try {
    await pipeline(source.stream, check);
  } catch (err) {
    child.kill('SIGKILL');
    await done.catch(() => undefined);
    if (err instanceof UnsafeTarEntry)
      await raise('input', {
        code: 'INCLUDE_UNSAFE',
        message: `${p.flakeFile}: ${what}: ${err.message}; nothing of it may be unpacked`,
        hint: 'tar entries must be relative paths without .. (and no device nodes); rebuild the archive',
        details: { entry: err.entry },
      });
    await raise('operation', {
      code: 'PROVISION_FAILED',
      message: `${what}: ${(err as Error).message}`,
      cause: err,
    });
  }
  const [r, src] = await Promise.all([done, source.done]);
  if (src && src.code !== 0 && !p.ignoreSyncError)
    await raise('operation', {
      code: 'PROVISION_FAILED',
      message: `${p.flakeFile}: ${what}: reading it failed:\n${tail(src.stderr)}`,
      hint: 'check the file named in the flake, or pass %ignore_sync_error to start anyway',
    });
  if (r.code !== 0)
    await raise('operation', {
      code: 'PROVISION_FAILED',
      message: `${what}: podman cp into the container failed:\n${tail(r.stderr)}`,
    });
}

/** Make sure an image is in local storage, pulling it when not (exit 3 when that fails). */
async function ensureImage(podman: PodmanCli, image: string): Promise<void> {
  if ((await capture(podman.call(['image', 'exists', image]))).code === 0) return;
  const pulled = await capture(podman.call(['pull', '--quiet', image]));
  if (pulled.code !== 0)
    await raise('prerequisite', {
      code: 'IMAGE_MISSING',
      message: `image ${image} is not in local storage and pulling it failed:\n${tail(pulled.stderr)}`,
      hint: `check the name, or fetch it first: pilot podman pull --uri ${image} (or pilot podman load --oci FILE)`,
      details: { image },
    });
}

async function layer(p: ContainerProvision, image: string): Promise<void> {
  await ensureImage(p.podman, image);
  // a container only to export the layer's file system; its entry point never runs
  const created = await mustRun(
    p.podman.call(['create', '--entrypoint', '/.pilot-layer-never-runs', image]),
    `creating a container of layer ${image}`,
  );
  const tmp = created.stdout.trim();
  try {
    // `podman cp CID:/ -` rather than `podman export`: export opens /dev/stdout, which fails
    // (ENXIO) when stdout is a socket, as Node's child pipes are
    const inv = p.podman.call(['cp', `${tmp}:/`, '-']);
    const child = start(inv);
    await copyIn(p, { stream: child.stdout!, done: finish(child, inv, false) }, `layer ${image}`);
  } finally {
    await capture(p.podman.call(['rm', '--force', tmp]));
  }
}

async function hostDependencies(p: ContainerProvision): Promise<void> {
  const r = await capture(p.podman.call(['cp', `${p.cid}:/removed`, '-']));
  if (r.code !== 0) return; // the image lists no host dependencies
  const list = firstFileOfTar(r.stdoutBytes);
  const paths: string[] = [];
  for (const line of list.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const path = line.startsWith('/') ? line : `/${line}`;
    if (confinedHostPath(path) === undefined)
      p.warn(`/removed in the image lists ${JSON.stringify(line)}: not a plain path, skipped`);
    else paths.push(path);
  }
  if (paths.length)
    await copyIn(p, await hostPathsSource(p.host.root, paths, p.env, true), 'host dependencies (/removed)');
}

/** Provision a created container (see the top of this file). */
export async function provisionContainer(
  p: ContainerProvision,
  c: ContainerSettings,
  include: IncludeSettings | null | undefined,
): Promise<void> {
  if (c.base_container) for (const image of [...(c.layers ?? []), c.name]) await layer(p, image);
  if (c.check_host_dependencies) await hostDependencies(p);
  for (const inc of await includeSources(p, include)) await copyIn(p, await inc.open(), inc.what);
}
