import { readFile } from 'node:fs/promises';

/** A line of /etc/passwd. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** A line of /etc/group. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Parse passwd(5) text; malformed lines are ignored, as glibc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || f[2] === '' || f[3] === '') continue;
    out.push({ name: f[0] ?? '', uid, gid, home: f[5] ?? '', shell: f[6] ?? '' });
  }
  return out;
}

/** Parse group(5) text; malformed lines are ignored. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const f = line.split(':');
    if (f.length < 4 || f[2] === '') continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0] ?? '', gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

/** Read and parse a passwd-format file; a missing file is an empty database. */
export async function readPasswdFile(path: string): Promise<PasswdEntry[]> {
  return parsePasswd(await readOptional(path));
}

/** Read and parse a group-format file; a missing file is an empty database. */
export async function readGroupFile(path: string): Promise<GroupEntry[]> {
  return parseGroup(await readOptional(path));
}

/** The names of every group a user is in: the primary group (by gid) and supplementary ones. */
export function groupsOfUser(user: PasswdEntry, groups: readonly GroupEntry[]): string[] {
  const names = new Set<string>();
  for (const g of groups) if (g.gid === user.gid || g.members.includes(user.name)) names.add(g.name);
  return [...names].sort();
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
