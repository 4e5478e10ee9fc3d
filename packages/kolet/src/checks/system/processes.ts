import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** What identifies a running process by name. */
export interface ProcessInfo {
  pid: number;
  /** the kernel's name for it (/proc/PID/comm, at most 15 characters) */
  comm: string;
  /** basename of argv[0] ('' for kernel threads) */
  argv0: string;
}

/** Every process visible in /proc; ones that exit while being read are left out. */
export async function listProcesses(procRoot = '/proc'): Promise<ProcessInfo[]> {
  const pids = (await readdir(procRoot)).filter((d) => /^\d+$/.test(d));
  const found = await Promise.all(
    pids.map(async (pid): Promise<ProcessInfo | undefined> => {
      try {
        const [comm, cmdline] = await Promise.all([
          readFile(join(procRoot, pid, 'comm'), 'utf8'),
          readFile(join(procRoot, pid, 'cmdline'), 'utf8').catch(() => ''),
        ]);
        return {
          pid: Number(pid),
          comm: comm.replace(/\n$/, ''),
          argv0: basename(cmdline.split('\0')[0] ?? ''),
        };
      } catch {
        return undefined;
      }
    }),
  );
  return found.filter((p): p is ProcessInfo => p !== undefined);
}

/** Whether a process matches a name as goss users mean it: its comm, or argv[0]'s basename. */
export function processMatches(p: ProcessInfo, name: string): boolean {
  // comm is cut to 15 characters, so a longer name matches on its first 15.
  return p.comm === name || (name.length > 15 && p.comm === name.slice(0, 15)) || p.argv0 === name;
}
