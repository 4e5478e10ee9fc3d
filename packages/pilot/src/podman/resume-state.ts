// What makes a resume call cheap: next to `<app>.cid` the launcher keeps `<app>.state` with the
// container's init process (host pid and its start time from /proc). While that process lives,
// the container runs, and a call is a single `podman exec` — no inspect, no ps.
//
// And what makes signals reach an exec'd app: `podman exec` does not pass signals on, so each
// exec carries MANTLE_PILOT_SESSION=<random token> in its environment, and a signal to the
// launcher is delivered to the processes carrying that token (/proc/<pid>/environ).
import {
  closeSync,
  constants,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { ChildProcess } from 'node:child_process';

export interface ResumeState {
  cid: string;
  pid: number;
  /** field 22 of /proc/<pid>/stat: distinguishes a reused pid */
  start: string;
}

const statePath = (cidFile: string): string => cidFile.replace(/\.cid$/, '.state');

/** The start time of a process, or undefined when it does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function readResumeState(cidFile: string): ResumeState | undefined {
  try {
    const fd = openSync(statePath(cidFile), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const s = JSON.parse(readFileSync(fd, 'utf8')) as ResumeState;
      return typeof s.cid === 'string' && typeof s.pid === 'number' ? s : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** True while the recorded init process still runs. */
export function stateAlive(s: ResumeState): boolean {
  return s.pid > 0 && processStartTime(s.pid) === s.start;
}

export function writeResumeState(cidFile: string, cid: string, pid: number): void {
  const start = processStartTime(pid);
  if (!start) return;
  const path = statePath(cidFile);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      writeSync(fd, JSON.stringify({ cid, pid, start } satisfies ResumeState));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch {
    // without the state file the next call takes the slower path; nothing else depends on it
  }
}

export function removeResumeState(cidFile: string): void {
  try {
    unlinkSync(statePath(cidFile));
  } catch {
    // not there
  }
}

/** Host pids whose environment carries MANTLE_PILOT_SESSION=token. */
function sessionPids(token: string): number[] {
  const needle = Buffer.from(`MANTLE_PILOT_SESSION=${token}\0`);
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`).includes(needle)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** A signal handler for runForeground: signal the exec'd app's processes, then podman itself on a second try. */
export function sessionKiller(token: string): (signal: NodeJS.Signals, child: ChildProcess) => boolean {
  return (signal) => {
    const pids = sessionPids(token);
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    // no session process found (not ours to see): let runForeground signal podman
    return pids.length > 0;
  };
}
