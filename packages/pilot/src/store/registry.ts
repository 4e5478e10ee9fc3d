// The flake store: registering an app (flake file, `<app>.d/`, the host symlink to its
// launcher), removing it, listing and showing flakes. Registration is atomic: the flake is
// written to a temporary file and renamed, the symlink made under a temporary name and renamed
// over, so a caller never sees a symlink without its flake or half a file.
import { lstat, mkdir, readdir, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, UsageError } from '@mantle/core/errors';
import { writeFileAtomic } from '@mantle/core/fs';
import { FlakeFileError, formatProblem, type FlakeProblem } from '../errors.js';
import { loadFlake } from '../flake/load.js';
import { renderFlake } from '../flake/render.js';
import type { BwrapFlake, ContainerFlake, Engine, Flake, VmFlake } from '../flake/schema.js';
import { stampOf, distrustReason, currentCaller } from '../flake/trust.js';
import { validateFlake } from '../flake/validate.js';
import { pathKey } from '../flake/yaml-origins.js';
import { hostView, rootFrom, type HostView } from './layout.js';
import { loadPilotConfig, type PilotConfig } from './pilot-config.js';
import { LAUNCHERS, launcherEngine } from '../launch/launchers.js';

/** The installed launcher for `engine`: a sibling of this module in dist/. */
export function launcherPath(engine: Engine, env: NodeJS.ProcessEnv): string {
  const dir = env.MANTLE_PILOT_LAUNCHER_DIR ?? dirname(fileURLToPath(import.meta.url));
  return join(dir, `${LAUNCHERS[engine]}.js`);
}

export interface Store {
  host: HostView;
  config: PilotConfig;
  env: NodeJS.ProcessEnv;
}

/** Open the store for `--root`/`--user`. */
export async function openStore(opts: {
  root?: string | undefined;
  user: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}): Promise<Store> {
  const host = hostView(rootFrom(opts.root, opts.env, opts.cwd));
  const config = await loadPilotConfig(host, { usermode: opts.user, env: opts.env });
  return { host, config, env: opts.env };
}

/** The flake name of an app path, checked: absolute, a plain file name. */
function appName(app: string, flag = '--app'): string {
  if (!isAbsolute(app) || normalize(app) !== app || app.endsWith('/'))
    throw new UsageError({
      code: 'APP_PATH_INVALID',
      message: `${flag} ${app}: the application must be an absolute, normalized path (e.g. /usr/bin/aws)`,
      hint: 'give the full path the command should have on the host',
    });
  const name = basename(app);
  if (!/^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*$/.test(name))
    throw new UsageError({
      code: 'APP_NAME_INVALID',
      message: `${flag} ${app}: '${name}' cannot name a flake (letters, digits and . _ + - only)`,
      hint: 'pick an application name made of those characters',
    });
  return name;
}

/** A VM or root filesystem name: it names a directory, so a plain file name only. */
export function checkImageName(flag: string, name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(name) || name.length > 128)
    throw new UsageError({
      code: 'IMAGE_NAME_INVALID',
      message: `${flag} ${JSON.stringify(name)}: a name is letters, digits and . _ + - (it names a directory)`,
      hint: 'choose such a name',
    });
  return name;
}

/** Check a flake object against the schema before it is written (a registration never writes an invalid flake). */
function checkWritable(data: unknown, file: string): Flake {
  const result = validateFlake(
    { value: data, origins: new Map([[pathKey([]), { file, line: 1 }]]) },
    file,
    true,
  );
  if (!result.ok)
    throw new FlakeFileError(result.problems, 'the registration options produce an invalid flake');
  return result.flake;
}

export interface RegisterResult {
  name: string;
  engine: Engine;
  flakeFile: string;
  app: string;
  /** where the symlink really is (differs from app with a root override) */
  link: string;
  launcher: string;
}

async function lstatOrUndefined(path: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(path);
  } catch {
    return undefined;
  }
}

/** True when `link` is a symlink to one of pilot's (or flake-pilot's) launchers. */
async function isPilotLink(link: string): Promise<boolean> {
  try {
    const target = basename(await readlink(link));
    return launcherEngine(target) !== undefined || target === 'firecracker-pilot';
  } catch {
    return false;
  }
}

/** Write a flake and its symlink. */
export async function registerFlake(
  store: Store,
  opts: { app: string; data: ContainerFlake | VmFlake | BwrapFlake; force: boolean },
): Promise<RegisterResult> {
  const name = appName(opts.app);
  const flakesDir = store.config.flakesDir;
  const flakeFile = join(flakesDir, `${name}.yaml`);
  const flake = checkWritable(opts.data, flakeFile);
  const link = store.host.path(opts.app);
  const launcher = launcherPath(flake.engine, store.env);
  if (!opts.force && stampOf(flakeFile).present)
    throw new InputError({
      code: 'FLAKE_EXISTS',
      message: `a flake named '${name}' is already registered: ${flakeFile}`,
      hint: 'remove it first (pilot ... remove --app), or pass --force to replace it',
    });
  const existing = await lstatOrUndefined(link);
  if (existing && !opts.force && !(existing.isSymbolicLink() && (await isPilotLink(link))))
    throw new InputError({
      code: 'APP_EXISTS',
      message: `${opts.app} already exists${store.host.root === '/' ? '' : ` (${link})`} and is not a pilot launcher link`,
      hint: 'choose another --app path, or pass --force to replace that file',
    });
  if (existing?.isDirectory())
    throw new InputError({
      code: 'APP_EXISTS',
      message: `${link} is a directory`,
      hint: 'choose another --app path',
    });
  await mkdir(join(flakesDir, `${name}.d`), { recursive: true, mode: 0o755 });
  await mkdir(dirname(link), { recursive: true, mode: 0o755 });
  await writeFileAtomic(flakeFile, renderFlake(opts.data), { mode: 0o644 });
  const tmp = join(dirname(link), `.${name}.pilot-${process.pid}`);
  try {
    await symlink(launcher, tmp);
    await rename(tmp, link);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { name, engine: flake.engine, flakeFile, app: opts.app, link, launcher };
}

export interface RemoveResult {
  removed: { app: string; flakeFile: string }[];
}

/** Remove an app: its symlink (when it is a pilot launcher link, or --force), flake file and drop-ins. */
export async function removeApp(
  store: Store,
  app: string,
  engine: Engine,
  force: boolean,
): Promise<RemoveResult> {
  const name = appName(app);
  const flakeFile = join(store.config.flakesDir, `${name}.yaml`);
  const dropins = join(store.config.flakesDir, `${name}.d`);
  const link = store.host.path(app);
  if (!force && !stampOf(flakeFile).present)
    throw new InputError({
      code: 'FLAKE_NOT_FOUND',
      message: `no flake is registered for ${app}: ${flakeFile} does not exist`,
      hint: 'check the path (pilot list), or pass --force to remove the link anyway',
    });
  if (!force && stampOf(flakeFile).present) {
    const loaded = await loadFlake(store.config.flakesDir, name).catch(() => undefined);
    if (loaded && loaded.flake.engine !== engine)
      throw new InputError({
        code: 'FLAKE_WRONG_ENGINE',
        message: `${app} is a ${loaded.flake.engine} flake, not a ${engine} one`,
        hint: `remove it with pilot ${loaded.flake.engine} remove --app ${app}`,
      });
  }
  const st = await lstatOrUndefined(link);
  if (st) {
    if (!force && !(st.isSymbolicLink() && (await isPilotLink(link))))
      throw new InputError({
        code: 'APP_NOT_A_FLAKE',
        message: `${link} is not a symlink to a pilot launcher; not removing it`,
        hint: 'pass --force to remove it anyway',
      });
    await unlink(link);
  }
  await rm(flakeFile, { force: true });
  await rm(dropins, { recursive: true, force: true });
  return { removed: [{ app, flakeFile }] };
}

/** One row of `pilot list`, with flake-ctl's keys. */
export interface FlakeInfo {
  name: string;
  engine: Engine | null;
  target: string | null;
  host_app_path: string | null;
  config: string;
  /** why the flake cannot be used (schema problems), when it cannot */
  error?: string;
}

function summary(flake: Flake): Pick<FlakeInfo, 'engine' | 'target' | 'host_app_path'> {
  const section =
    flake.engine === 'podman'
      ? flake.data.container
      : flake.engine === 'vm'
        ? flake.data.vm
        : flake.data.bwrap;
  return {
    engine: flake.engine,
    target: section.target_app_path ?? null,
    host_app_path: section.host_app_path,
  };
}

/** Every flake in the store, sorted by name. */
export async function listFlakes(store: Store): Promise<FlakeInfo[]> {
  let names: string[] = [];
  try {
    names = (await readdir(store.config.flakesDir))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
  names.sort();
  const out: FlakeInfo[] = [];
  for (const name of names) {
    const config = join(store.config.flakesDir, `${name}.yaml`);
    try {
      const loaded = await loadFlake(store.config.flakesDir, name);
      out.push({ name, ...summary(loaded.flake), config });
    } catch (err) {
      out.push({
        name,
        engine: null,
        target: null,
        host_app_path: null,
        config,
        error: (err as Error).message,
      });
    }
  }
  return out;
}

/** Every flake whose engine section names `image` (container name, VM name, rootfs name). */
export async function flakesUsing(
  store: Store,
  engine: Engine,
  image: string,
): Promise<{ name: string; app: string }[]> {
  const out: { name: string; app: string }[] = [];
  for (const info of await listFlakes(store)) {
    if (info.engine !== engine || !info.host_app_path) continue;
    const loaded = await loadFlake(store.config.flakesDir, info.name);
    const f = loaded.flake;
    const section = f.engine === 'podman' ? f.data.container : f.engine === 'vm' ? f.data.vm : f.data.bwrap;
    if (section.name === image) out.push({ name: info.name, app: info.host_app_path });
  }
  return out;
}

export interface ShowResult {
  name: string;
  engine: Engine;
  files: string[];
  flake: Flake['data'];
  warnings: string[];
  /** why a launcher would refuse this flake, if it would */
  untrusted?: string;
  link: { app: string; path: string; target: string | null; ok: boolean };
}

/** Everything about one flake: merged content, files, warnings, trust, its symlink. */
export async function showFlake(store: Store, app: string): Promise<ShowResult> {
  const name = app.includes('/') ? appName(app, 'APP') : app;
  const loaded = await loadFlake(store.config.flakesDir, name);
  const caller = currentCaller();
  const untrusted = [...store.config.stamps, ...loaded.stamps]
    .map((s) => distrustReason(s, caller))
    .find(Boolean);
  const { host_app_path } = summary(loaded.flake);
  const path = store.host.path(host_app_path ?? '');
  const target = await readlink(path).catch(() => null);
  return {
    name,
    engine: loaded.flake.engine,
    files: loaded.files,
    flake: loaded.flake.data,
    warnings: [...store.config.warnings, ...loaded.warnings].map((w: FlakeProblem) => formatProblem(w)),
    ...(untrusted ? { untrusted } : {}),
    link: {
      app: host_app_path ?? '',
      path,
      target,
      ok: target !== null && launcherEngine(basename(target)) === loaded.flake.engine,
    },
  };
}

/** `pilot init`: the directories and a flakes.yml (kept when present unless `force`). */
export async function initStore(
  store: Store,
  force: boolean,
): Promise<{ created: string[]; kept: string[] }> {
  const created: string[] = [];
  const kept: string[] = [];
  const c = store.config;
  for (const dir of [c.flakesDir, c.vmRegistryDir, c.bwrapDir]) {
    if (!stampOf(dir).present) created.push(dir);
    await mkdir(dir, { recursive: true, mode: 0o755 });
  }
  if (stampOf(c.configFile).present && !force) kept.push(c.configFile);
  else {
    await mkdir(dirname(c.configFile), { recursive: true, mode: 0o755 });
    const unmap = (p: string): string => store.host.system(p);
    const lines = [
      'generic:',
      `  flakes_dir: ${unmap(c.flakesDir)}`,
      `  podman_ids_dir: ${unmap(c.podmanIdsDir)}`,
      `  firecracker_ids_dir: ${unmap(c.firecrackerIdsDir)}`,
      ...(c.podmanStorageConf ? [`  podman_storage_conf: ${unmap(c.podmanStorageConf)}`] : []),
      `  vm_registry_dir: ${unmap(c.vmRegistryDir)}`,
      `  bwrap_dir: ${unmap(c.bwrapDir)}`,
    ];
    await writeFileAtomic(c.configFile, lines.join('\n') + '\n', { mode: 0o644 });
    created.push(c.configFile);
  }
  return { created, kept };
}
