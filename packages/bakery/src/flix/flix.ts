import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { onCleanup } from '@mantle/core/cli';
import { requireTool, run, runText } from '@mantle/core/exec';
import {
  checkSegment,
  chmodInside,
  copyInside,
  FsErrorCode,
  mkdirInside,
  readFileInside,
  resolveInRoot,
  UnsafePathError,
} from '@mantle/core/fs';
import { createSysext, type CreateSysextOptions, type CreateSysextResult } from '../build/create-sysext.js';
import { checkName } from '../sysext/names.js';
import { checkTarget, parsePathSpec } from './path-spec.js';

// flix: take binaries out of a foreign root filesystem (an unpacked container image, a chroot) and
// make them run on any host from a sysext. Each ELF binary gets its own dynamic loader and the
// libraries it needs (found in the root filesystem, transitively) copied to /usr/local/NAME/;
// patchelf points the binary's interpreter there and sets RUNPATH to /usr/local/NAME with
// DF_1_NODEFLIB, so the host's /usr/lib is never consulted. Resource paths (directories, data
// files) are copied as they are.
//
// The root filesystem is foreign input: every path taken from it (PATHS, the loader named in
// PT_INTERP, DT_NEEDED entries, ld.so.conf) is resolved chroot-style inside it and read without
// following links; every file is written inside the sysext tree without following links either
// (core's confinement helpers). A library name is one file name: a DT_NEEDED of
// `../../../tmp/x.so` is refused, not joined to a host path.

export interface FlixOptions extends Omit<CreateSysextOptions, 'from' | 'name'> {
  rootfs: string;
  name: string;
  /** /usr/... paths in the rootfs, or CHROOT:TARGET with TARGET under /usr */
  paths: readonly string[];
  /** libraries (rootfs paths) needed through dlopen, copied to /usr/local/NAME/extralibs */
  extraLibs?: readonly string[];
}

export interface FlixResult extends CreateSysextResult {
  binaries: { path: string; interpreter: string; libraries: string[] }[];
}

/** Build a sysext from paths of a root filesystem, relocating ELF binaries with patchelf. */
export async function flix(opts: FlixOptions): Promise<FlixResult> {
  const cwd = opts.cwd ?? process.cwd();
  const name = checkName(opts.name, 'NAME');
  const rootfs = resolve(cwd, opts.rootfs);
  if (!(await stat(rootfs).catch(() => undefined))?.isDirectory()) {
    throw new InputError({
      code: 'FLIX_NO_ROOTFS',
      message: `ROOTFS ${opts.rootfs} is not a directory`,
      hint: 'unpack the container image or chroot first',
      details: { field: 'ROOTFS' },
    });
  }
  if (opts.paths.length === 0)
    throw new InputError({
      code: 'BAD_USAGE',
      message: 'no PATHS given',
      hint: 'e.g. bakery flix ROOTFS nano /usr/bin/nano /usr/share/nano',
    });
  const patchelf = await requireTool('patchelf', {
    debianPackage: 'patchelf',
    purpose: 'relocate binaries for flix',
    ...(opts.env ? { env: opts.env } : {}),
  });
  const outDir = resolve(cwd, opts.outDir ?? '.');
  await mkdir(outDir, { recursive: true });
  const scratch = await mkdtemp(join(outDir, '.bakery-flix-'));
  const unregister = onCleanup(() => rm(scratch, { recursive: true, force: true }), `remove ${scratch}`);
  try {
    const tree = join(scratch, 'tree');
    await mkdir(tree);
    const libDir = `/usr/local/${name}`;
    const libRel = libDir.slice(1);
    await mkdirInside(tree, libRel, { what: 'flix' });
    const searchDirs = await librarySearchDirs(rootfs);
    const copiedLibs = new Map<string, string>();
    const interpreters = new Set<string>();
    const lo = opts.logger ? { logger: opts.logger } : {};
    const elf = async (file: string): Promise<boolean> => {
      const fh = await readFile(file).catch(() => undefined);
      return fh !== undefined && fh.length > 4 && fh.readUInt32BE(0) === 0x7f454c46;
    };

    // Copy a library and, depth first, what it needs; give each the private RUNPATH.
    const needed = async (file: string, owner: string): Promise<string[]> => {
      const deps = (await runText(patchelf, ['--print-needed', file], lo))
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
      const out: string[] = [];
      for (const dep of deps) {
        checkSegment(dep, `${owner}: needed library (DT_NEEDED)`);
        out.push(dep);
        if (copiedLibs.has(dep)) continue;
        const found = await findLibrary(rootfs, searchDirs, dep);
        if (!found) {
          throw new InputError({
            code: 'FLIX_LIBRARY_MISSING',
            message: `${owner} needs ${dep}, which is not in ${rootfs} (searched ${searchDirs.join(', ')})`,
            hint: 'install it in the root filesystem, or add its directory to etc/ld.so.conf.d there',
            details: { library: dep },
          });
        }
        const destRel = `${libRel}/${dep}`;
        const dest = join(tree, destRel);
        copiedLibs.set(dep, found);
        // libc names the loader as NEEDED: it is already there as the interpreter; leave it unpatched.
        if (interpreters.has(dep)) continue;
        await copyInside(rootfs, found.slice(1), tree, destRel, { what: `${owner}: library ${dep}` });
        await chmodInside(tree, destRel, 0o755, { what: `library ${dep}` });
        out.push(...(await needed(dest, dep)));
        await run(patchelf, ['--no-default-lib', '--set-rpath', `${libDir}:${libDir}/extralibs`, dest], lo);
      }
      return out;
    };

    const binaries: FlixResult['binaries'] = [];
    for (const spec of opts.paths) {
      const { from, to } = splitPath(spec);
      const real = await resolveInRoot(rootfs, from);
      if (!real)
        throw new InputError({
          code: 'FLIX_PATH_MISSING',
          message: `${spec}: ${from} does not exist in ${rootfs}`,
          hint: 'give paths as they are inside the root filesystem',
          details: { path: from },
        });
      const dest = join(tree, to);
      // Directories are copied with their links kept as links; devices and FIFOs are refused.
      await copyInside(rootfs, real.slice(1), tree, to, { what: spec });
      const st = await lstat(dest);
      if (st.isDirectory()) continue;
      await chmodInside(tree, to, st.mode & 0o777, { what: spec });
      if (!(await elf(dest))) continue;
      const interp = (
        await run(patchelf, ['--print-interpreter', dest], { ...lo, reject: false })
      ).stdout.trim();
      if (!interp) continue; // a static binary or a library: nothing to relocate
      const interpReal = await resolveInRoot(rootfs, interp);
      if (!interpReal)
        throw new InputError({
          code: 'FLIX_LIBRARY_MISSING',
          message: `${from} wants the loader ${interp}, which is not in ${rootfs}`,
          hint: 'the root filesystem is incomplete',
          details: { path: interp },
        });
      const interpName = checkSegment(posix.basename(interp), `${from}: loader (PT_INTERP)`);
      const interpRel = `${libRel}/${interpName}`;
      interpreters.add(interpName);
      if (!(await lstat(join(tree, interpRel)).catch(() => undefined))) {
        await copyInside(rootfs, interpReal.slice(1), tree, interpRel, { what: `${from}: loader ${interp}` });
        await chmodInside(tree, interpRel, 0o755, { what: `loader ${interp}` });
      }
      await run(patchelf, ['--set-interpreter', `${libDir}/${posix.basename(interp)}`, dest], lo);
      const libs = await needed(dest, from);
      await run(patchelf, ['--no-default-lib', '--set-rpath', `${libDir}:${libDir}/extralibs`, dest], lo);
      binaries.push({
        path: to,
        interpreter: `${libDir}/${posix.basename(interp)}`,
        libraries: [...new Set(libs)],
      });
    }
    for (const lib of opts.extraLibs ?? []) {
      const real = await resolveInRoot(rootfs, lib);
      if (!real)
        throw new InputError({
          code: 'FLIX_PATH_MISSING',
          message: `--extra-lib ${lib} does not exist in ${rootfs}`,
          hint: 'give library paths inside the root filesystem',
          details: { path: lib },
        });
      const destRel = `${libRel}/extralibs/${checkSegment(posix.basename(lib), `--extra-lib ${lib}`)}`;
      await copyInside(rootfs, real.slice(1), tree, destRel, { what: `--extra-lib ${lib}` });
      const dest = join(tree, destRel);
      await needed(dest, lib);
      await run(patchelf, ['--no-default-lib', '--set-rpath', `${libDir}:${libDir}/extralibs`, dest], lo);
    }
    const { rootfs: _r, paths: _p, extraLibs: _e, ...rest } = opts;
    void _r;
    void _p;
    void _e;
    const result = await createSysext({
      ...rest,
      name,
      from: tree,
      cwd,
      reloadManager: opts.reloadManager ?? true,
    });
    return { ...result, binaries };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    unregister();
  }
}

function splitPath(spec: string): { from: string; to: string } {
  const { from, target } = parsePathSpec(spec, 'FLIX_BAD_PATH');
  return { from, to: checkTarget(spec, target ?? from, 'FLIX_BAD_PATH') };
}

// Where the loader of the root filesystem looks: the usual directories plus its ld.so.conf(.d).
async function librarySearchDirs(rootfs: string): Promise<string[]> {
  const dirs = ['/lib64', '/usr/lib64', '/usr/local/lib64', '/lib', '/usr/lib', '/usr/local/lib'];
  const confs = ['/etc/ld.so.conf'];
  const confDir = await resolveInRoot(rootfs, '/etc/ld.so.conf.d');
  if (confDir) {
    for (const f of (await readdir(join(rootfs, confDir)).catch(() => [])).sort())
      if (f.endsWith('.conf')) confs.push(posix.join(confDir, f));
  }
  for (const c of confs) {
    const real = await resolveInRoot(rootfs, c);
    if (!real) continue;
    // Never opened through a link; a FIFO or device there is refused, not read.
    const text = await readFileInside(rootfs, real.slice(1), { what: `ROOTFS ${c}` }).then(
      (b) => b.toString('utf8'),
      (err: unknown) => {
        if (err instanceof UnsafePathError && err.code === FsErrorCode.Special) throw err;
        return '';
      },
    );
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#') || t.startsWith('include ')) continue;
      if (t.startsWith('/') && !dirs.includes(t)) dirs.push(t);
    }
  }
  return dirs;
}

async function findLibrary(
  rootfs: string,
  dirs: readonly string[],
  name: string,
): Promise<string | undefined> {
  for (const d of dirs) {
    const p = await resolveInRoot(rootfs, posix.join(d, name));
    if (
      p &&
      (await lstat(join(rootfs, p)).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      return p;
  }
  return undefined;
}
