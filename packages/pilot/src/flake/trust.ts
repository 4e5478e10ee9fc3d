// Who may have written a flake. A flake decides which image runs, with which podman options and
// which host files are copied in, and `runas: root` flakes run their engine as root: a flake (or
// the directory holding it) that someone else can change is someone else's command. Launchers
// refuse to start when:
//   - a flake file, drop-in, `<app>.d` or the flakes directory is not owned by root or the caller;
//   - it is writable by others (o+w), or by a group other than root's or the caller's own.
// This module only looks at stat results (no I/O), so the launchers' fast path can use it.
import { statSync } from 'node:fs';

/** The identity of a file at one moment: enough to notice any change (ctime moves on every write). */
export interface FileStamp {
  path: string;
  present: boolean;
  dev?: string;
  ino?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: string;
  mtimeNs?: string;
  ctimeNs?: string;
}

/** stat() a path (following symlinks) into a stamp; a missing path is a stamp too. */
export function stampOf(path: string): FileStamp {
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch {
    return { path, present: false };
  }
  return {
    path,
    present: true,
    dev: String(st.dev),
    ino: String(st.ino),
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: String(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
  };
}

/** True when nothing about the file changed between the two stamps. */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return (
    a.path === b.path &&
    a.present === b.present &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/** The caller's identity for the ownership rule. */
export interface Caller {
  uid: number;
  gid: number;
}

/** The calling process' identity. */
export function currentCaller(): Caller {
  return { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
}

/** Why a present file may not be trusted, or undefined when it may. */
export function distrustReason(stamp: FileStamp, caller: Caller): string | undefined {
  if (!stamp.present) return undefined;
  const mode = stamp.mode ?? 0;
  const uid = stamp.uid ?? -1;
  const gid = stamp.gid ?? -1;
  if (uid !== 0 && uid !== caller.uid)
    return `${stamp.path} is owned by uid ${uid}, neither root nor the caller (uid ${caller.uid})`;
  if (mode & 0o002) return `${stamp.path} is writable by everyone (mode ${octal(mode)})`;
  if (mode & 0o020 && gid !== 0 && gid !== caller.gid)
    return `${stamp.path} is writable by group ${gid} (mode ${octal(mode)})`;
  return undefined;
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');
