// bwrap-pilot: run a `bwrap:` flake — the app in a bubblewrap sandbox over an unpacked root
// filesystem, unprivileged (a user namespace; no daemon, no image storage, no root needed).
//
//   bwrap --ro-bind ROOTFS / --dev /dev --proc /proc --tmpfs /tmp --tmpfs /run --tmpfs /var/tmp
//         --unshare-all [--share-net] --die-with-parent [--new-session] --chdir /
//         [--ro-bind HOSTPATH HOSTPATH for include.path] [runtime.bwrap ...] TARGET ARGS...
//
// With bubblewrap 0.11+ the root is a memory-backed overlay (--overlay-src ROOTFS --tmp-overlay /)
// instead of the read-only bind: the app may write anywhere, nothing persists. Before 0.11
// (Debian 12 has 0.8) the root is read-only and `runtime.writable` paths get a fresh tmpfs;
// /tmp, /run and /var/tmp are fresh tmpfs (when the root has them) either way. Each running
// call has an id file (instance.ts), so @NAME sandboxes are tracked as podman's are. Modes: plain
// (the sandbox lives as long as its app) and resume (resume.ts: a kept sandbox the calls enter);
// attach is refused (a sandbox has no console to attach to: its app's stdio is its caller's).
// `include.tar` is unpacked into a per-instance layer before the start (layer.ts);
// `include.path` is bound read-only where the root filesystem already has a file or directory
// of that name.
//
// flake-pilot's `sandbox:` flakes (read into this form with `runtime.bubblewrap` set) get
// bubblewrap-pilot(8)'s sandbox instead of the one above: the root filesystem, then the flake's
// `bubblewrap:` options (flake-pilot's defaults `--dev /dev --proc /proc --tmpfs /tmp
// --unshare-pid --die-with-parent` unless it lists its own) split at spaces, `%VAR` and
// `%OVERLAYROOT` (the root filesystem tree) expanded; the app starts in `%chdir:DIR` or `/`
// unless the options give a --chdir of their own. `pilot_options` hold `%name[:value]` options
// in effect for every call (an option given at the call wins). flake-pilot lays its
// memory-backed overlay with a host overlay mount (root via sudo); here bwrap's own, when it has one.
//
// Signals: bwrap does not pass signals on, so the launcher learns the sandbox's init from
// --info-fd and signals the app (init's child, or the child itself without a pid namespace)
// itself; the exit code is the app's.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import type { Readable } from 'node:stream';
import { flakeFile, type LaunchContext } from '../launch/context.js';
import { runForeground } from '../launch/child.js';
import type { Invocation } from '../launch/capture.js';
import { raise } from '../launch/raise.js';
import { commandAs, resolveRunAs } from '../launch/run-as.js';
import { hostView } from '../store/layout.js';
import { expandPercentVars } from '../launch/env-expand.js';
import { privateDir, refuseSymlink } from '../launch/private-dir.js';
import { devArgs, firstChild as appPid } from './resume.js';

/** `--ro-bind HOST DEST` for include.path: both resolved inside their roots (core's resolveInRoot). */
async function includeBinds(
  ctx: LaunchContext,
  paths: string[],
  rootfs: string,
  file: string,
  ignoreSyncError: boolean,
): Promise<string[]> {
  const { resolveInRoot } = await import('@mantle/core/fs');
  const { confinedHostPath } = await import('../provision/paths.js');
  const host = hostView(ctx.resolved.config.root);
  const out: string[] = [];
  for (const p of paths) {
    const dest =
      confinedHostPath(p) === undefined
        ? undefined
        : await resolveInRoot(rootfs, p, { what: `${file}: include.path` });
    if (!dest)
      await raise('input', {
        code: 'BWRAP_INCLUDE_PATH',
        message: `${file}: include.path ${p}: ${confinedHostPath(p) === undefined ? 'not an absolute path without ..' : `the root filesystem has nothing at ${p} to bind it over`}`,
        hint: 'bwrap flakes bind includes read-only over existing paths of the (read-only) root filesystem',
      });
    const source = await resolveInRoot(host.root, p, { what: `${file}: include.path` });
    if (!source) {
      if (ignoreSyncError) {
        ctx.warn(`include.path ${p} does not exist (skipped: %ignore_sync_error)`);
        continue;
      }
      await raise('input', {
        code: 'INCLUDE_MISSING',
        message: `${file}: include.path: ${host.path(p)} does not exist`,
        hint: 'fix the path in the flake, or pass %ignore_sync_error to start without it',
      });
    }
    out.push('--ro-bind', join(host.root, source!), dest!);
  }
  return out;
}

/** `%name[:value]` entries of `pilot_options` → name → value (split as call-time options are). */
function configuredOptions(entries: readonly string[] | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries ?? []) {
    const body = e.startsWith('%') ? e.slice(1) : e;
    const colon = body.lastIndexOf(':');
    out.set(colon > 0 ? body.slice(0, colon) : body, colon > 0 ? body.slice(colon + 1) : '');
  }
  return out;
}

/** flake-pilot's `bubblewrap:` entries → bwrap arguments: split at spaces, placeholders expanded. */
function sandboxArgs(entries: readonly string[], rootfs: string, env: NodeJS.ProcessEnv): string[] {
  return entries.flatMap((e) =>
    e
      .split(/\s+/)
      .filter(Boolean)
      .map((part) => expandPercentVars(part.replaceAll('%OVERLAYROOT', rootfs), env)),
  );
}

/** Launch a bwrap flake; resolves with the app's exit code. */
export async function launchBwrap(ctx: LaunchContext): Promise<number> {
  const flake = ctx.resolved.flake;
  if (flake.engine !== 'bwrap') throw new Error('launchBwrap: not a bwrap flake');
  const { bwrap: b, include } = flake.data;
  const file = flakeFile(ctx);
  const host = hostView(ctx.resolved.config.root);
  const rt = b.runtime ?? {};
  const rootfs = host.path(b.rootfs);
  if (!existsSync(rootfs) || !statSync(rootfs).isDirectory())
    await raise('prerequisite', {
      code: 'ROOTFS_MISSING',
      message: `${file}: bwrap.rootfs ${rootfs} is not a directory`,
      hint: 'unpack the root filesystem there, or register the app again (pilot bwrap register --image ...)',
    });
  if (rt.attach)
    await raise('input', {
      code: 'BWRAP_ATTACH',
      message: `${file}: bwrap.runtime.attach: bwrap flakes have no attach mode (a sandbox has no console to attach to)`,
      hint: 'use resume: true (later calls run inside the kept sandbox)',
    });
  const target = b.target_app_path ?? `/${ctx.resolved.name}`;
  const configured = configuredOptions(rt.pilot_options);
  const option = (name: string): string | undefined => ctx.args.options.get(name) ?? configured.get(name);
  const overlay = hasTmpOverlay(ctx.env);
  // bubblewrap 0.11+: a memory-backed overlay over the root, as flake-pilot lays one (without
  // sudo: the overlay is mounted inside the sandbox's user namespace); before: read-only
  const rootArgs = (layer: string | undefined): string[] =>
    overlay
      ? ['--overlay-src', rootfs, ...(layer ? ['--overlay-src', layer] : []), '--tmp-overlay', '/']
      : ['--ro-bind', layer ?? rootfs, '/'];
  const args: string[] = [];
  let pidNamespace = true;
  if (rt.bubblewrap) {
    const own = sandboxArgs(rt.bubblewrap, rootfs, ctx.env);
    pidNamespace = own.includes('--unshare-pid') || own.includes('--unshare-all');
    // before the flake's options: a --chdir of the flake's own comes later and wins
    args.push('--chdir', option('chdir') || '/', ...own);
  } else {
    // a kept sandbox gets a /dev without bwrap's devpts (see resume.ts's devArgs); else bwrap's own
    args.push(...(rt.resume ? devArgs() : ['--dev', '/dev']), '--proc', '/proc');
    for (const dir of ['/tmp', '/run', '/var/tmp'])
      if (existsSync(join(rootfs, dir))) args.push('--tmpfs', dir);
    args.push('--unshare-all', ...(rt.network ? ['--share-net'] : []), '--die-with-parent');
  }
  if (!overlay) args.push(...(await writableMounts(rt.writable, file)));
  // without a terminal to share, a new session keeps the app from pushing input into ours (TIOCSTI)
  if (!isatty(0) || rt.resume) args.push('--new-session');
  if (include?.path?.length)
    args.push(
      ...(await includeBinds(ctx, include.path, rootfs, file, option('ignore_sync_error') !== undefined)),
    );
  args.push(...(rt.bwrap ?? []), '--info-fd', '3');
  if (!rt.bubblewrap) args.push('--chdir', option('chdir') || '/');
  const who = await resolveRunAs(rt.runas, file);
  const owner = who.how === 'setuid' ? { uid: who.uid, gid: who.gid } : ctx.caller;
  const tars = include?.tar ?? [];
  const withLayer = async (base: string) => {
    if (!tars.length) return undefined;
    const { prepareLayer } = await import('./layer.js');
    return prepareLayer(ctx, { base, rootfs, tars, overlay, flakeFile: file });
  };
  if (rt.resume) {
    if (rt.bubblewrap)
      await raise('input', {
        code: 'BWRAP_RESUME',
        message: `${file}: bwrap.runtime.resume does not go with runtime.bubblewrap (flake-pilot's own sandbox options)`,
        hint: 'drop resume, or drop the bubblewrap options (the default sandbox is used then)',
      });
    const r = await import('./resume.js');
    const ids = await privateDir(ctx.resolved.config.podmanIdsDir, owner);
    const base = `${ctx.resolved.name}${ctx.args.instance ?? ''}`;
    const state = join(ids, `${base}.bwrap-resume`);
    const layerDir = join(ids, `${base}.bwrap`);
    await refuseSymlink(state);
    await refuseSymlink(layerDir);
    // one launcher at a time decides whether the sandbox runs and starts it
    const { lockFile } = await import('../launch/lock-file.js');
    const unlock = await lockFile(`${state}.lock`);
    let keeper = r.liveKeeper(state);
    if (!keeper) {
      const layer = await withLayer(layerDir);
      // the kept sandbox outlives this call: no --die-with-parent
      const sandboxArgv = [...rootArgs(layer?.dir), ...args.filter((a) => a !== '--die-with-parent')];
      const inv = commandAs(who, 'bwrap', [...sandboxArgv, ...r.keeperArgs()], ctx.env, ['LANG', 'LC_ALL']);
      try {
        keeper = await r.startKeeper(inv, state, file);
      } catch (err) {
        layer?.remove();
        throw err;
      } finally {
        unlock();
      }
    } else unlock();
    const enter = r.enterArgs(keeper, option('chdir') || '/', [target, ...ctx.args.appArgs]);
    try {
      return await sandbox(commandAs(who, 'nsenter', enter, ctx.env, ['TERM', 'LANG', 'LC_ALL']), true, {
        debianPackage: 'util-linux',
        purpose: 'enter kept bwrap sandboxes',
      });
    } finally {
      if (ctx.args.options.has('remove')) {
        r.stopKeeper(keeper, state);
        rmSync(layerDir, { recursive: true, force: true });
      }
    }
  }
  const { claimInstance } = await import('./instance.js');
  const instance = await claimInstance(
    ctx.resolved.config.podmanIdsDir,
    owner,
    ctx.resolved.name,
    ctx.args.instance,
    file,
  );
  try {
    const layer = await withLayer(instance.file.replace(/\.bwrapid$/, '.bwrap'));
    try {
      const argv = [...rootArgs(layer?.dir), ...args, target, ...ctx.args.appArgs];
      return await sandbox(commandAs(who, 'bwrap', argv, ctx.env, ['TERM', 'LANG', 'LC_ALL']), pidNamespace);
    } finally {
      layer?.remove();
    }
  } finally {
    instance.release();
  }
}

/** bubblewrap 0.11 brought --overlay-src/--tmp-overlay; older ones (Debian 12: 0.8) have none. */
function hasTmpOverlay(env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync('bwrap', ['--version'], { env, encoding: 'utf8' });
  const m = /(\d+)\.(\d+)/.exec(r.stdout ?? '');
  return !!m && (Number(m[1]) > 0 || Number(m[2]) >= 11);
}

/** `runtime.writable` → a tmpfs on each path (absolute, no `..`). */
async function writableMounts(paths: readonly string[] | null | undefined, file: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths ?? []) {
    if (!p.startsWith('/') || p.split('/').includes('..'))
      await raise('input', {
        code: 'BWRAP_WRITABLE_PATH',
        message: `${file}: bwrap.runtime.writable: ${p} is not an absolute path without ..`,
        hint: 'list sandbox paths such as /var/lib/app',
      });
    out.push('--tmpfs', p);
  }
  return out;
}

/**
 * Run bwrap (or nsenter into a kept sandbox) in the foreground. Signals go to the app itself:
 * bwrap's child is the pid namespace's init with the app below it (learnt from --info-fd);
 * nsenter's forked child is the app.
 */
function sandbox(
  inv: Invocation,
  pidNamespace: boolean,
  missing = { debianPackage: 'bubblewrap', purpose: 'run bwrap flakes' },
): Promise<number> {
  const entering = inv.command === 'nsenter' || inv.args.includes('nsenter');
  let initPid: number | undefined;
  return runForeground(inv.command, inv.args, {
    env: inv.env,
    ...(inv.uid !== undefined ? { uid: inv.uid, gid: inv.gid! } : {}),
    extraStdio: ['pipe'],
    missing,
    onSpawn: (child: ChildProcess) => {
      if (entering) initPid = child.pid;
      let info = '';
      const fd3 = child.stdio[3] as Readable | null;
      fd3?.on('data', (c: Buffer) => {
        info += c.toString('utf8');
        const m = /"child-pid":\s*(\d+)/.exec(info);
        if (m) initPid = Number(m[1]);
      });
    },
    onSignal: (signal) => {
      // with a pid namespace bwrap's child is the namespace's init and the app its child
      const pid = initPid && (pidNamespace ? appPid(initPid) : initPid);
      if (!pid) return false;
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    },
  });
}
