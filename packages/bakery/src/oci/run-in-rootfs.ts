import { chmod, lstat, mkdtemp, readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { InputError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { ExecError, requireTool, run } from '@mantle/core/exec';
import { chmodInside, resolveInRoot, resolveInside } from '@mantle/core/fs';

// --run: what sysext-bakery's CMD= does with `docker run`, done with bubblewrap on the unpacked
// tree before it is renamed into place: the root filesystem bound read-write as /, its own /proc,
// /dev and /tmp, the image's environment, the host's network and resolv.conf (so `apk add` and
// `apt-get install` can download). The command is the user's own shell text for the image's
// /bin/sh, passed as one argument; nothing of ours is interpolated into it.
//
// The image is not trusted. The command runs as uid 0 of a new user namespace whose uid 0 is an
// unprivileged id on the host — the invoking user's, or for root RUN_ID below (the tree is
// chowned to it for the run and back afterwards, setuid bits restored) — with no capabilities,
// no further user namespaces, its own PID, IPC and UTS namespaces and a new session (no terminal
// injection). /dev holds only null, zero, full, random, urandom and tty; the host's resolv.conf
// is bound read-only; nothing else of the host is visible. So it cannot create device nodes,
// mount filesystems, or reach host files; it can use the network and write inside the tree.

/** The host uid/gid that uid 0 of --run is mapped to when bakery runs as root: unused by any account. */
const RUN_ID = 1_879_048_000;

export interface RunInRootfsOptions {
  rootfs: string;
  /** shell text run by the image's /bin/sh */
  command: string;
  /** IMAGE as the user wrote it, for messages */
  image: string;
  bwrap: string;
  /** the image's environment (`KEY=value`) */
  env: readonly string[];
  /** the host environment, for proxy settings */
  hostEnv?: NodeJS.ProcessEnv;
  logger?: Logger;
  signal?: AbortSignal;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PROXY_VARS = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];
// bwrap makes these mount points in the tree when they are missing; we remove the ones we made.
const MOUNT_POINTS = ['proc', 'dev', 'tmp'];

/** Run a shell command inside an unpacked root filesystem with bubblewrap. */
export async function runInRootfs(o: RunInRootfsOptions): Promise<void> {
  const sh = await resolveInRoot(o.rootfs, '/bin/sh');
  if (
    !sh ||
    !(await stat(join(o.rootfs, sh)).then(
      (s) => s.isFile(),
      () => false,
    ))
  ) {
    throw new InputError({
      code: 'OCI_RUN_NO_SHELL',
      message: `--run needs /bin/sh inside the image, and ${o.image} has none`,
      hint: 'use an image with a shell (alpine, debian, busybox), or leave out --run and change the tree afterwards',
      details: { field: '--run', image: o.image },
    });
  }
  const existed = new Map<string, boolean>();
  for (const p of [...MOUNT_POINTS, 'etc/resolv.conf'])
    existed.set(p, (await lstatNoFollow(o.rootfs, p)) !== undefined);

  const env = new Map<string, string>();
  for (const kv of o.env) {
    const i = kv.indexOf('=');
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  if (!env.has('HOME')) env.set('HOME', '/root');
  for (const k of PROXY_VARS) {
    const v = o.hostEnv?.[k];
    if (v && !env.has(k)) env.set(k, v);
  }

  // The host's resolv.conf is bound only over a plain file (or nothing): following an image's
  // symlink here would bind outside the tree.
  const resolv = await resolveInside(o.rootfs, 'etc/resolv.conf', {
    what: 'etc/resolv.conf',
    mustExist: false,
  }).catch(() => undefined);
  const etcIsDir = await lstat(join(o.rootfs, 'etc')).then(
    (st) => st.isDirectory(),
    () => false,
  );
  const bindResolv = etcIsDir && resolv !== undefined && (resolv.stat === undefined || resolv.stat.isFile());

  // Shared by both ways in: the sandbox itself.
  const sandbox = [
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    ...(bindResolv ? ['--ro-bind-try', '/etc/resolv.conf', '/etc/resolv.conf'] : []),
    '--unshare-user',
    '--uid',
    '0',
    '--gid',
    '0',
    '--disable-userns',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--cap-drop',
    'ALL',
    '--new-session',
    '--die-with-parent',
    '--clearenv',
    ...[...env].flatMap(([k, v]) => ['--setenv', k, v]),
    '--chdir',
    '/',
    '--',
    // stdout goes to our stderr: our stdout carries DIR (or the --json data) only.
    '/bin/sh',
    '-c',
    'exec >&2; eval "$1"',
    'bakery-oci-run',
    o.command,
  ];
  o.logger?.info(`running --run command in the root filesystem of ${o.image}`);
  const asRoot = process.geteuid?.() === 0;
  const ro = {
    inherit: true,
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  let lend: Lent | undefined;
  try {
    if (!asRoot) {
      // Unprivileged: bwrap's user namespace maps uid 0 to us, over files that are ours.
      await run(o.bwrap, ['--bind', o.rootfs, '/', ...sandbox], ro);
    } else {
      lend = await lendTree(o.rootfs, o.logger);
      const unshare = await requireTool('unshare', {
        debianPackage: 'util-linux',
        purpose: 'run --run as root',
      });
      const setpriv = await requireTool('setpriv', {
        debianPackage: 'util-linux',
        purpose: 'run --run as root',
      });
      // bwrap reaches the tree by path as RUN_ID, which may not search the directories above it
      // (/root is 0700): in a private mount namespace the tree is bound onto an empty directory
      // anyone can reach, and only then are the privileges dropped. The shell text is constant;
      // the paths are its arguments.
      await run(
        unshare,
        [
          '--mount',
          '--propagation',
          'private',
          '--',
          'sh',
          '-c',
          'mount --bind -- "$1" "$2" && shift 2 && exec "$@"',
          'bakery-oci-run',
          o.rootfs,
          lend.mountPoint,
          setpriv,
          `--reuid=${RUN_ID}`,
          `--regid=${RUN_ID}`,
          '--clear-groups',
          '--',
          o.bwrap,
          '--bind',
          lend.mountPoint,
          '/',
          ...sandbox,
        ],
        ro,
      );
    }
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    throw new OperationError({
      code: 'OCI_RUN_FAILED',
      message: `the --run command failed inside ${o.image} (${err.signal ? `killed by ${err.signal}` : `exit code ${err.commandExitCode ?? 'unknown'}`})`,
      hint: "its output is above; fix the command (it runs with the image's /bin/sh as uid 0 of a user namespace, without capabilities, with network) — DIR was not created",
      cause: err,
      details: { field: '--run', exitCode: err.commandExitCode },
    });
  } finally {
    if (lend) await lend.giveBack();
    await removeMadeMountPoints(o.rootfs, existed);
  }
}

/** The tree handed to RUN_ID for a run as root, and how to take it back. */
interface Lent {
  mountPoint: string;
  giveBack(): Promise<void>;
}

// chown clears setuid/setgid bits: the ones the image has, and the ones the command makes, are
// noted before each chown and set again (without following links) once the tree is ours again.
async function lendTree(rootfs: string, logger: Logger | undefined): Promise<Lent> {
  const before = await specialModes(rootfs);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const lo = logger ? { logger } : {};
  const mountPoint = await mkdtemp(join(tmpdir(), 'bakery-oci-run-'));
  await chmod(mountPoint, 0o755);
  await run('chown', ['-R', '--no-dereference', '--', `${RUN_ID}:${RUN_ID}`, rootfs], lo);
  return {
    mountPoint,
    giveBack: async () => {
      const after = await specialModes(rootfs);
      await run('chown', ['-R', '--no-dereference', '--', `${uid}:${gid}`, rootfs], lo);
      for (const [rel, mode] of [...before, ...after])
        await chmodInside(rootfs, rel, mode, { what: 'restoring setuid bits after --run' }).catch(
          () => false,
        );
      await rmdir(mountPoint).catch(() => {});
    },
  };
}

// Regular files with setuid/setgid bits, by path below the root (links are not followed).
async function specialModes(root: string, rel = ''): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await readdir(join(root, rel), { withFileTypes: true }).catch(() => [])) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of await specialModes(root, p)) out.set(k, v);
    else if (e.isFile()) {
      const st = await lstat(join(root, p)).catch(() => undefined);
      if (st?.isFile() && (st.mode & 0o6000) !== 0) out.set(p, st.mode & 0o7777);
    }
  }
  return out;
}

async function removeMadeMountPoints(rootfs: string, existed: Map<string, boolean>): Promise<void> {
  for (const p of MOUNT_POINTS) if (!existed.get(p)) await rmdir(join(rootfs, p)).catch(() => {});
  if (!existed.get('etc/resolv.conf')) {
    const st = await lstatNoFollow(rootfs, 'etc/resolv.conf');
    if (st?.isFile() && st.size === 0) await unlink(join(rootfs, 'etc/resolv.conf')).catch(() => {});
  }
}

// An entry of the tree, never reached through a link of the image (etc -> /etc would be the host's).
function lstatNoFollow(rootfs: string, rel: string): Promise<Stats | undefined> {
  return resolveInside(rootfs, rel, { what: rel, allowFinalSymlink: true, mustExist: false }).then(
    (r) => r.stat,
    () => undefined,
  );
}
