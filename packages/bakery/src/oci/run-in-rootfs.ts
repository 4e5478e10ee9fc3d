import { lstat, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { ExecError, run } from '@mantle/core/exec';
import { resolveInRoot } from '@mantle/core/fs';

// --run: what sysext-bakery's CMD= does with `docker run`, done with bubblewrap on the unpacked
// tree before it is renamed into place: the root filesystem bound read-write as /, its own /proc,
// /dev and /tmp, the image's environment, the host's network and resolv.conf (so `apk add` and
// `apt-get install` can download). The command is the user's own shell text for the image's
// /bin/sh, passed as one argument; nothing of ours is interpolated into it.

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
    existed.set(p, (await lstat(join(o.rootfs, p)).catch(() => undefined)) !== undefined);

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
  const etc = await lstat(join(o.rootfs, 'etc')).catch(() => undefined);
  const resolv = await lstat(join(o.rootfs, 'etc/resolv.conf')).catch(() => undefined);
  const bindResolv = etc?.isDirectory() === true && (resolv === undefined || resolv.isFile());

  const args = [
    '--bind',
    o.rootfs,
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    ...(bindResolv ? ['--ro-bind-try', '/etc/resolv.conf', '/etc/resolv.conf'] : []),
    '--unshare-pid',
    '--die-with-parent',
    // Without root, a user namespace makes the command uid 0 over files that belong to us, so
    // package managers that chown still work; as root it already is.
    ...(process.geteuid?.() === 0 ? [] : ['--unshare-user', '--uid', '0', '--gid', '0']),
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
  try {
    await run(o.bwrap, args, {
      inherit: true,
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    throw new OperationError({
      code: 'OCI_RUN_FAILED',
      message: `the --run command failed inside ${o.image} (${err.signal ? `killed by ${err.signal}` : `exit code ${err.commandExitCode ?? 'unknown'}`})`,
      hint: "its output is above; fix the command (it runs with the image's /bin/sh as root, with network) — DIR was not created",
      cause: err,
      details: { field: '--run', exitCode: err.commandExitCode },
    });
  } finally {
    await removeMadeMountPoints(o.rootfs, existed);
  }
}

async function removeMadeMountPoints(rootfs: string, existed: Map<string, boolean>): Promise<void> {
  for (const p of MOUNT_POINTS) if (!existed.get(p)) await rmdir(join(rootfs, p)).catch(() => {});
  if (!existed.get('etc/resolv.conf')) {
    const st = await lstat(join(rootfs, 'etc/resolv.conf')).catch(() => undefined);
    if (st?.isFile() && st.size === 0) await unlink(join(rootfs, 'etc/resolv.conf')).catch(() => {});
  }
}
