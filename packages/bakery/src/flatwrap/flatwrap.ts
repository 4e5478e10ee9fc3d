import { lstat, mkdir, mkdtemp, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { onCleanup } from '@mantle/core/cli';
import { ExecError, run } from '@mantle/core/exec';
import { mkdirInside, readFileInside, resolveInRoot, writeFileInside } from '@mantle/core/fs';
import { createSysext, type CreateSysextOptions, type CreateSysextResult } from '../build/create-sysext.js';
import { stageTree } from '../build/staging.js';
import { checkTarget, parsePathSpec } from '../flix/path-spec.js';
import { checkName } from '../sysext/names.js';
import { execCommands, rewriteUnit, unitTarget, type ExecRoute, type UnitChange } from './unit-rewrite.js';
import {
  enterScript,
  libDir,
  MAP_MODES,
  rootDir,
  WRAPPER_KINDS,
  wrapperScript,
  type DirMaps,
  type Layout,
  type TopEntry,
  type WrapperKind,
} from './wrapper-script.js';

// flatwrap: keep a whole root filesystem (an unpacked container image, a chroot) under
// /usr/local/NAME in a sysext and put small /bin/sh entry points on the host that run its programs
// with that tree as / (see wrapper-script.ts). Unlike flix nothing is patched: the programs use
// their own loader, libraries and data exactly as in the container. The root filesystem is
// staged as a hard-link farm (no data copied) when it shares a filesystem with --out.

export interface FlatwrapOptions extends Omit<CreateSysextOptions, 'from' | 'name' | 'extraFiles'> {
  rootfs: string;
  name: string;
  /** paths inside the rootfs (programs, units, resources), or CHROOT:TARGET */
  paths: readonly string[];
  /** auto (default, as flatwrap.sh: unshare as root, else bwrap), bwrap or unshare (root only) */
  wrapper?: string;
  /** host (default) or chroot */
  etcMap?: string;
  varMap?: string;
  homeMap?: string;
}

/** What became of one PATH. */
export interface FlatwrapEntry {
  spec: string;
  /** wrapper: an entry point running the program; unit: a unit with rewritten Exec*=; resource: copied */
  kind: 'wrapper' | 'unit' | 'resource';
  /** the path inside the root filesystem */
  source: string;
  /** where it is on the host once merged */
  target: string;
  /** units: the Exec*= lines rewritten */
  changes?: UnitChange[];
}

export interface FlatwrapResult extends CreateSysextResult {
  /** where the root filesystem is once merged */
  root: string;
  wrapper: WrapperKind;
  maps: DirMaps;
  /** runs any command of the root filesystem: RUNNER COMMAND [ARG...] */
  runner: string;
  entries: FlatwrapEntry[];
  /** what the wrappers need on the host that runs them */
  hostNeeds: string[];
  /** how the root filesystem was staged for the build */
  rootfsStaging: 'hardlink' | 'copy';
}

/** Directories whose programs get a wrapper in /usr/bin by default. */
const BIN_DIRS = new Set(['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']);
/** Host programs the wrappers run (#!/bin/sh, bwrap, the unshare helper's tools): never shadowed. */
const HOST_TOOLS = new Set(
  ['sh', 'bwrap', 'unshare', 'mount', 'mkdir', 'ln', 'touch', 'id'].flatMap((t) => [
    `/usr/bin/${t}`,
    `/usr/sbin/${t}`,
  ]),
);
const PATH_HINT =
  'give paths as they are inside the root filesystem (/usr/sbin/nginx), or CHROOT:TARGET with TARGET under /usr or /opt (e.g. /app/server:/usr/bin/server)';

/** Build a sysext holding a root filesystem under /usr/local/NAME and entry points into it. */
export async function flatwrap(opts: FlatwrapOptions): Promise<FlatwrapResult> {
  const cwd = opts.cwd ?? process.cwd();
  const name = checkName(opts.name, 'NAME');
  const wrapper = checkChoice(
    opts.wrapper ?? 'auto',
    WRAPPER_KINDS,
    '--wrapper',
    'bwrap (any user, needs bubblewrap on the host), unshare (root only, util-linux) or auto',
  );
  const maps: DirMaps = {
    etc: checkChoice(
      opts.etcMap ?? 'host',
      MAP_MODES,
      '--etc-map',
      "host (the host's /etc) or chroot (the root filesystem's /etc)",
    ),
    var: checkChoice(
      opts.varMap ?? 'host',
      MAP_MODES,
      '--var-map',
      "host (the host's /var) or chroot (the root filesystem's /var)",
    ),
    home: checkChoice(
      opts.homeMap ?? 'host',
      MAP_MODES,
      '--home-map',
      "host (the host's /home) or chroot (the root filesystem's /home)",
    ),
  };
  const rootfs = resolve(cwd, opts.rootfs);
  const rootSt = await stat(rootfs).catch(() => undefined);
  if (!rootSt?.isDirectory()) {
    throw new InputError({
      code: 'FLATWRAP_NO_ROOTFS',
      message: `ROOTFS ${opts.rootfs} is not a directory`,
      hint: 'unpack the container image (bakery oci-rootfs) or give the chroot directory',
      details: { field: 'ROOTFS', path: rootfs },
    });
  }
  if (opts.paths.length === 0)
    throw new InputError({
      code: 'BAD_USAGE',
      message: 'no PATHS given',
      hint: 'e.g. bakery flatwrap ROOTFS nginx /usr/sbin/nginx /usr/lib/systemd/system/nginx.service',
    });

  const top = await topEntries(rootfs, rootSt.dev);
  const planned = await planPaths(rootfs, name, opts.paths);
  const varTmp = maps.var === 'chroot' && (await isDir(rootfs, '/var/tmp'));
  const layout: Layout = { name, wrapper, maps, top, varTmp };
  const runner = `${libDir(name)}/run`;
  const warnings: string[] = [];

  const outDir = resolve(cwd, opts.outDir ?? '.');
  await mkdir(outDir, { recursive: true });
  const scratch = await mkdtemp(join(outDir, '.bakery-flatwrap-'));
  const unregister = onCleanup(() => rm(scratch, { recursive: true, force: true }), `remove ${scratch}`);
  try {
    const tree = join(scratch, 'tree');
    const local = join(tree, 'usr/local');
    await mkdir(local, { recursive: true });
    const lo = {
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    const staged = await stageTree(rootfs, [], local, lo);
    await rename(staged.dir, join(local, name));

    // Files are created with O_EXCL in directories that are no links: the staged tree shares
    // inodes with ROOTFS and holds its links, never write through one.
    const put = async (abs: string, content: string, mode: number): Promise<void> => {
      await writeFileInside(tree, abs.slice(1), content, { what: `flatwrap ${abs}`, mode });
    };
    await put(runner, wrapperScript(layout, { fromArgs: true }, `runs its arguments as a command`), 0o755);
    if (wrapper !== 'bwrap') {
      await put(`${libDir(name)}/enter`, enterScript(layout), 0o755);
      await mkdirInside(tree, `${libDir(name).slice(1)}/mnt`, { what: 'flatwrap' });
    }

    const wrapped = new Map<string, string>();
    for (const p of planned)
      if (p.kind === 'wrapper') wrapped.set(await canonical(rootfs, p.source), p.target);
    const entries: FlatwrapEntry[] = [];
    for (const p of planned) {
      const entry: FlatwrapEntry = { spec: p.spec, kind: p.kind, source: p.source, target: p.target };
      if (p.kind === 'wrapper') {
        await put(p.target, wrapperScript(layout, { path: p.source }, `runs ${p.source}`), 0o755);
      } else if (p.kind === 'unit') {
        const text = (await readFileInside(rootfs, p.real.slice(1), { what: p.spec })).toString('utf8');
        const routes = await execRoutes(rootfs, text, wrapped, runner, p.target, warnings);
        const r = rewriteUnit(text, routes);
        await put(p.target, r.text, 0o644);
        entry.changes = r.changes;
      } else {
        await mkdirInside(tree, posix.dirname(p.target).slice(1), { what: p.spec });
        await linkOrCopy(join(rootfs, p.real), join(tree, p.target), lo);
      }
      entries.push(entry);
    }

    const { rootfs: _r, paths: _p, wrapper: _w, etcMap: _e, varMap: _v, homeMap: _h, ...rest } = opts;
    void [_r, _p, _w, _e, _v, _h];
    const result = await createSysext({
      ...rest,
      name,
      from: tree,
      cwd,
      reloadManager: opts.reloadManager ?? true,
      // the root filesystem is staged as hard links to ROOTFS: those are expected
      mirroredTree: true,
    });
    return {
      ...result,
      warnings: [...warnings, ...result.warnings],
      root: rootDir(name),
      wrapper,
      maps,
      runner,
      entries,
      hostNeeds: HOST_NEEDS[wrapper],
      rootfsStaging: staged.method,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    unregister();
  }
}

const HOST_NEEDS: Record<WrapperKind, string[]> = {
  bwrap: ['bwrap (bubblewrap)'],
  unshare: ['root', 'unshare and mount (util-linux)'],
  auto: ['root with unshare and mount (util-linux), or bwrap (bubblewrap) for other users'],
};

function checkChoice<T extends string>(value: string, choices: readonly T[], flag: string, hint: string): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new InputError({
    code: 'FLATWRAP_BAD_OPTION',
    message: `${flag} ${JSON.stringify(value)} is not one of ${choices.join(', ')}`,
    hint: `use ${hint}`,
    details: { field: flag, value },
  });
}

async function isDir(rootfs: string, path: string): Promise<boolean> {
  const real = await resolveInRoot(rootfs, path);
  return (
    real !== undefined &&
    (await stat(join(rootfs, real)).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  );
}

// The root filesystem's top-level entries, which the wrappers bind into the new root one by one.
// A chroot in use has the host's /proc, /sys or /dev mounted in it: copying those would copy the
// host, so they are refused.
async function topEntries(rootfs: string, dev: number): Promise<TopEntry[]> {
  const out: TopEntry[] = [];
  for (const e of (await readdir(rootfs, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const p = join(rootfs, e.name);
    if (e.isSymbolicLink()) out.push({ name: e.name, type: 'symlink', target: await readlink(p) });
    else if (e.isDirectory()) {
      if (['proc', 'sys', 'dev'].includes(e.name) && (await lstat(p)).dev !== dev) {
        throw new InputError({
          code: 'FLATWRAP_ROOTFS_MOUNTED',
          message: `${p} is a mount point: the root filesystem is in use as a chroot`,
          hint: `unmount it first (umount -R ${p})`,
          details: { path: p },
        });
      }
      out.push({ name: e.name, type: 'dir' });
    } else if (e.isFile()) out.push({ name: e.name, type: 'file' });
    // Devices, FIFOs and sockets at the top are left out; the tree check reports them.
  }
  return out;
}

interface Planned {
  spec: string;
  kind: FlatwrapEntry['kind'];
  /** the path as given inside the root filesystem */
  source: string;
  /** the resolved path inside the root filesystem */
  real: string;
  /** absolute target in the extension */
  target: string;
}

// Decide what each PATH becomes and where it goes, before anything is staged.
async function planPaths(rootfs: string, name: string, specs: readonly string[]): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const spec of specs) {
    const { from, target } = parsePathSpec(spec, 'FLATWRAP_BAD_PATH', PATH_HINT);
    const source = posix.normalize(from);
    const real = await resolveInRoot(rootfs, source);
    if (!real)
      throw new InputError({
        code: 'FLATWRAP_PATH_MISSING',
        message: `${spec}: ${source} does not exist in ${rootfs}`,
        hint: PATH_HINT,
        details: { path: source },
      });
    const st = await stat(join(rootfs, real));
    let kind: Planned['kind'];
    let to: string;
    const unit = unitTarget(source);
    if (st.isDirectory()) {
      kind = 'resource';
      to = target ?? source;
    } else if (!st.isFile()) {
      throw new InputError({
        code: 'FLATWRAP_BAD_PATH',
        message: `${spec}: ${source} is not a file or directory`,
        hint: 'give programs, unit files or resource files and directories',
        details: { path: source },
      });
    } else if (unit !== undefined || (target !== undefined && unitTarget(target) !== undefined)) {
      kind = 'unit';
      to = target ?? unit!;
    } else if ((st.mode & 0o111) !== 0) {
      kind = 'wrapper';
      to = target ?? (BIN_DIRS.has(posix.dirname(source)) ? `/usr/bin/${posix.basename(source)}` : source);
    } else {
      kind = 'resource';
      to = target ?? source;
    }
    const rel = checkTarget(spec, to, 'FLATWRAP_BAD_PATH', PATH_HINT);
    for (const reserved of [rootDir(name), libDir(name), '/usr/lib/extension-release.d']) {
      if (`/${rel}` === reserved || `/${rel}`.startsWith(`${reserved}/`)) {
        throw new InputError({
          code: 'FLATWRAP_TARGET_CONFLICT',
          message: `${spec}: the target /${rel} is inside ${reserved}, which flatwrap fills itself`,
          hint: 'pick another target with CHROOT:TARGET',
          details: { path: spec },
        });
      }
    }
    if (HOST_TOOLS.has(`/${rel}`)) {
      throw new InputError({
        code: 'FLATWRAP_TARGET_CONFLICT',
        message: `${spec}: the target /${rel} would replace the host's ${posix.basename(rel)}, which the wrappers themselves run with`,
        hint: `pick another name, e.g. ${from}:/usr/bin/${name}-${posix.basename(rel)}`,
        details: { path: spec },
      });
    }
    for (const o of out) {
      const a = o.target;
      const b = `/${rel}`;
      if (a === b || b.startsWith(`${a}/`) || a.startsWith(`${b}/`)) {
        throw new InputError({
          code: 'FLATWRAP_TARGET_CONFLICT',
          message: `${o.spec} and ${spec} both go to ${a === b ? a : a.length < b.length ? a : b}`,
          hint: 'give one of them another target with CHROOT:TARGET',
          details: { path: spec },
        });
      }
    }
    out.push({ spec, kind, source, real, target: `/${rel}` });
  }
  return out;
}

// A program path with the symlinks of its directories resolved in the root filesystem but not of
// its last component: /sbin/x and /usr/sbin/x are the same program on a merged-/usr root
// filesystem, but /usr/bin/b3sum is not /bin/busybox even though it links there (busybox looks
// at the name it was started as).
async function canonical(rootfs: string, path: string): Promise<string> {
  const dir = await resolveInRoot(rootfs, posix.dirname(posix.normalize(path)));
  return posix.join(dir ?? posix.dirname(path), posix.basename(path));
}

async function execRoutes(
  rootfs: string,
  text: string,
  wrapped: ReadonlyMap<string, string>,
  runner: string,
  unit: string,
  warnings: string[],
): Promise<Map<string, ExecRoute>> {
  const routes = new Map<string, ExecRoute>();
  for (const c of execCommands(text)) {
    if (routes.has(c.path)) continue;
    if (!c.path.startsWith('/') || /[%$]/.test(c.path)) {
      warnings.push(
        `${unit}: ${c.key}=${c.path} is not an absolute path; left as it is, so it runs on the host`,
      );
      continue;
    }
    const w = wrapped.get(await canonical(rootfs, c.path));
    if (w !== undefined) routes.set(c.path, { wrapper: w });
    else if (await resolveInRoot(rootfs, c.path)) routes.set(c.path, { runner });
    else
      warnings.push(
        `${unit}: ${c.key}=${c.path} is not in the root filesystem; left as it is, so it runs on the host`,
      );
  }
  return routes;
}

// Resources: hard links like the staged root filesystem, a real copy across filesystems.
async function linkOrCopy(
  src: string,
  dest: string,
  lo: { logger?: Logger; signal?: AbortSignal },
): Promise<void> {
  try {
    await run('cp', ['-al', '--', src, dest], lo);
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    await rm(dest, { recursive: true, force: true });
    await run('cp', ['-a', '--reflink=auto', '--', src, dest], lo);
  }
}
