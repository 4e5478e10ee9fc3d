import { readFile } from 'node:fs/promises';

/** One line of /proc/self/mountinfo. */
export interface MountEntry {
  mountPoint: string;
  /** per-mount options (rw, nosuid, relatime, ...) */
  opts: string[];
  filesystem: string;
  source: string;
  /** superblock options */
  vfsOpts: string[];
}

// Octal escapes the kernel uses for space, tab, newline and backslash in paths.
const unescape = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Parse mountinfo (proc(5)): `id parent major:minor root mountpoint opts [optional...] - fstype
 * source superopts`. Later lines are mounted on top of earlier ones.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({
      mountPoint: unescape(f[4] ?? ''),
      opts: (f[5] ?? '').split(','),
      filesystem: f[sep + 1] ?? '',
      source: unescape(f[sep + 2] ?? ''),
      vfsOpts: (f[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

/** The visible (topmost) mount at a mount point, if any. */
export function findMount(entries: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  const want = mountPoint.length > 1 ? mountPoint.replace(/\/+$/, '') : mountPoint;
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]?.mountPoint === want) return entries[i];
  return undefined;
}

/** Read and parse this process's mount table. */
export async function readMountinfo(procRoot = '/proc'): Promise<MountEntry[]> {
  return parseMountinfo(await readFile(`${procRoot}/self/mountinfo`, 'utf8'));
}
