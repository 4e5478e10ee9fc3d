// Resume bwrap flakes (`bwrap.runtime.resume: true`): the first call starts a sandbox that is
// kept — bwrap runs a keeper (the host's static busybox, bound at /dev/.pilot/busybox, sleeping)
// detached from the call — and every call, that one included, runs the app inside it with
// util-linux nsenter: the keeper's namespaces (user, mount, pid, net, ipc, uts), its root,
// with the caller's own credentials (--preserve-credentials: the same unprivileged user; no
// privilege is gained that bwrap did not give). So later calls see what earlier ones left in the
// sandbox's /tmp. The keeper is recorded in `<ids>/<uid>/<app>[@NAME].bwrap-resume` (pid and start
// time, never followed through a symlink); `%remove` ends the sandbox after the call.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Invocation } from '../launch/capture.js';
import { raise } from '../launch/raise.js';
import { processStartTime } from '../podman/resume-state.js';

const KEEPER = '/bin/busybox';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Keeper {
  /** the sandbox's pid-1 (bwrap's init) and the keeper below it, as host pids */
  init: number;
  pid: number;
  start: string;
}

/** The kept sandbox recorded in `file`, when it still runs. */
export function liveKeeper(file: string): Keeper | undefined {
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const k = JSON.parse(readFileSync(fd, 'utf8')) as Keeper;
      return processStartTime(k.pid) === k.start ? k : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * /dev of a kept sandbox: what bwrap's --dev gives (the usual nodes, fd links, /dev/shm) except
 * devpts. Mounting devpts makes bwrap set the sandbox up as uid 0 of an outer user namespace and
 * then drop into a nested one; nsenter (util-linux 2.38: no --user-parent) can only join the
 * nested one, which does not own the other namespaces, and joining them fails (EPERM).
 */
export function devArgs(): string[] {
  const out = ['--tmpfs', '/dev'];
  for (const n of ['null', 'zero', 'full', 'random', 'urandom', 'tty'])
    out.push('--dev-bind', `/dev/${n}`, `/dev/${n}`);
  for (const [i, n] of ['stdin', 'stdout', 'stderr'].entries())
    out.push('--symlink', `/proc/self/fd/${i}`, `/dev/${n}`);
  out.push('--symlink', '/proc/self/fd', '/dev/fd', '--dir', '/dev/shm', '--tmpfs', '/dev/shm');
  return out;
}

/** The bwrap arguments that put the keeper into the sandbox and run it (after the sandbox's own). */
export function keeperArgs(): string[] {
  // /dev is a tmpfs of the sandbox's own (devArgs): a mount point can be made there in any root
  return [
    '--dir',
    '/dev/.pilot',
    '--ro-bind',
    KEEPER,
    '/dev/.pilot/busybox',
    '/dev/.pilot/busybox',
    'sleep',
    '2147483647',
  ];
}

/** The first child of `pid` (from /proc), when it has one. */
export function firstChild(pid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return kids.length ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Start the kept sandbox (`inv` is bwrap with keeperArgs and --info-fd 3) and record it in `file`. */
export async function startKeeper(inv: Invocation, file: string, flakeFile: string): Promise<Keeper> {
  const child: ChildProcess = spawn(inv.command, inv.args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: inv.env,
    ...(inv.uid !== undefined ? { uid: inv.uid, gid: inv.gid! } : {}),
  });
  let info = '';
  let stderr = '';
  (child.stdio[3] as Readable).on('data', (c: Buffer) => (info += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  let exited = false;
  child.once('exit', () => (exited = true));
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!spawned)
    await raise('prerequisite', {
      code: 'ENGINE_MISSING',
      message: 'bwrap was not found on PATH (needed to run bwrap flakes)',
      hint: 'install it: apt-get install bubblewrap',
    });
  for (let i = 0; i < 500; i++) {
    const m = /"child-pid":\s*(\d+)/.exec(info);
    const init = m ? Number(m[1]) : undefined;
    const pid = init && firstChild(init);
    const start = pid && processStartTime(pid);
    if (init && pid && start) {
      const keeper = { init, pid, start };
      writeFileSync(`${file}.tmp`, JSON.stringify(keeper), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      child.stderr!.destroy();
      (child.stdio[3] as Readable).destroy();
      child.unref();
      return keeper;
    }
    if (exited) break;
    await sleep(10);
  }
  child.kill('SIGKILL');
  return raise('operation', {
    code: 'BWRAP_FAILED',
    message: `${flakeFile}: the kept sandbox did not start: ${stderr.trim() || 'no keeper process appeared'}`,
    hint: 'run the flake without resume to see bwrap’s own error',
  });
}

/** nsenter's arguments to run ARGV in the kept sandbox. */
export function enterArgs(k: Keeper, chdir: string, argv: string[]): string[] {
  // the cgroup namespace is left out: an unprivileged caller may not join it (EPERM), and it only
  // changes how cgroup paths read
  return [
    '--target',
    String(k.pid),
    ...['--user', '--mount', '--pid', '--net', '--ipc', '--uts'],
    '--preserve-credentials',
    '--root',
    `--wd=${chdir}`,
    '--',
    ...argv,
  ];
}

/** End a kept sandbox: its pid-1 takes every process in it along. */
export function stopKeeper(k: Keeper, file: string): void {
  try {
    if (processStartTime(k.pid) === k.start) process.kill(k.init, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(file, { force: true });
}
