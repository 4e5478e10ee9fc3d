// bwrap sandboxes tracked the way podman-pilot tracks containers: while a call runs, its
// instance has an id file `<ids_dir>/<uid>/<app>[@NAME].bwrapid` (the per-user directory 0700
// and checked, the file never followed through a symlink) holding the launcher's pid and start
// time. A second call of the same @NAME while the first runs is refused — as podman refuses a
// --cidfile that exists — and a file whose launcher is gone (killed before it could clean up)
// is stale: removed when met, and collected for the flake's plain calls at every launch.
// Calls without @NAME get a random `@NAME=<n>`, as podman-pilot's plain calls do.
import { closeSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { privateDir, refuseSymlink } from '../launch/private-dir.js';
import { raise } from '../launch/raise.js';

export interface BwrapInstance {
  file: string;
  /** remove the id file (the sandbox ended) */
  release(): void;
}

interface Owner {
  pid: number;
  /** /proc/<pid>/stat's starttime: a reused pid is not the launcher that wrote the file */
  start: string;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The owner recorded in an id file (read without following a symlink), or undefined. */
function readOwner(path: string): Owner | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const o = JSON.parse(readFileSync(fd, 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.start === 'string'
      ? { pid: o.pid, start: o.start }
      : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const alive = (o: Owner | undefined): boolean => !!o && startTime(o.pid) === o.start;

function forget(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Id files of this flake's plain calls whose launcher is gone. */
function collectStale(dir: string, app: string): void {
  const prefix = `${app}@NAME=`;
  for (const f of readdirSync(dir))
    if (f.startsWith(prefix) && f.endsWith('.bwrapid') && !alive(readOwner(join(dir, f))))
      forget(join(dir, f));
}

/** Claim the instance of `app` (`instance` is `@NAME` or undefined) for this launcher. */
export async function claimInstance(
  idsBase: string,
  owner: { uid: number; gid: number },
  app: string,
  instance: string | undefined,
  flakeFile: string,
): Promise<BwrapInstance> {
  const dir = await privateDir(idsBase, owner);
  collectStale(dir, app);
  const file = join(dir, `${app}${instance ?? `@NAME=${Math.floor(Math.random() * 2 ** 32)}`}.bwrapid`);
  await refuseSymlink(file);
  const me: Owner = { pid: process.pid, start: startTime(process.pid) ?? '' };
  for (let attempt = 0; ; attempt++) {
    try {
      // O_EXCL: never through a symlink planted after the check, never over a live instance
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      return { file, release: () => forget(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    await refuseSymlink(file);
    const other = readOwner(file);
    if (alive(other))
      await raise('operation', {
        code: 'BWRAP_INSTANCE_RUNNING',
        message: `${flakeFile}: the instance ${instance ?? ''} of ${app} is running (launcher pid ${other!.pid}, ${file})`,
        hint: 'wait for it to end, or call the app with another @NAME',
        details: { file, pid: other!.pid },
      });
    forget(file); // stale: its launcher is gone
  }
}
