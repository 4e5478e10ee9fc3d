// The launchers' cache of resolved flakes. Reading a flake means loading a YAML parser and a
// schema library and walking every file; a launch should cost about what the engine costs. So
// the result of resolve.ts is kept as JSON with a stamp (device, inode, mode, owner, size, mtime,
// ctime) of every file and directory it was read from or looked for; a launch that finds every
// stamp unchanged uses it. Any write to a flake, a drop-in (adding one changes the directory's
// stamp), flakes.yml or the directories moves a ctime and sends the launch back to the slow path.
// The trust rules are checked again on the fresh stamps at every launch.
//
// It lives in the caller's own cache directory (${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/mantle}/pilot,
// 0700), so no other user can plant an entry.
import { openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedLaunch } from './resolve.js';
import { distrustReason, sameStamp, stampOf, type Caller, type FileStamp } from '../flake/trust.js';
import { ownDir } from './private-dir.js';

const VERSION = 1;

interface CacheEntry {
  v: number;
  /** the full key: the file name is only a hash of it */
  key: string;
  stamps: FileStamp[];
  resolved: ResolvedLaunch;
}

/** The cache directory, or undefined when there is no home to keep one in. */
export function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const base = env.MANTLE_CACHE_DIR ?? (env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'mantle') : undefined);
  if (base) return join(base, 'pilot');
  return env.HOME ? join(env.HOME, '.cache', 'mantle', 'pilot') : undefined;
}

function entryKey(name: string, env: NodeJS.ProcessEnv, caller: Caller): string {
  return JSON.stringify([
    VERSION,
    name,
    caller,
    env.MANTLE_PILOT_ROOT ?? '/',
    env.HOME ?? '',
    env.MANTLE_PILOT_STRICT ?? '',
  ]);
}

// cyrb53: a fast 53-bit string hash (node:crypto costs start-up time; the entry holds its full key)
function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16);
}

function entryName(name: string, key: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${hash53(key)}.json`;
}

/** A cached resolution that is still valid, or undefined. */
export function readCachedLaunch(
  name: string,
  env: NodeJS.ProcessEnv,
  caller: Caller,
): ResolvedLaunch | undefined {
  const dir = cacheDir(env);
  if (!dir) return undefined;
  const key = entryKey(name, env, caller);
  let entry: CacheEntry;
  try {
    // O_NOFOLLOW: an entry is never read through a symlink
    const fd = openSync(join(dir, entryName(name, key)), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      entry = JSON.parse(readFileSync(fd, 'utf8')) as CacheEntry;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (entry.v !== VERSION || entry.key !== key || !Array.isArray(entry.stamps)) return undefined;
  for (const old of entry.stamps) {
    const now = stampOf(old.path);
    if (!sameStamp(old, now) || distrustReason(now, caller)) return undefined;
  }
  return entry.resolved;
}

/** Remember a resolution (best effort: a launch never fails because the cache cannot be written). */
export async function writeCachedLaunch(
  name: string,
  env: NodeJS.ProcessEnv,
  caller: Caller,
  resolved: ResolvedLaunch,
  stamps: FileStamp[],
): Promise<void> {
  const dir = cacheDir(env);
  if (!dir) return;
  try {
    await ownDir(dir, caller.uid);
    const key = entryKey(name, env, caller);
    const path = join(dir, entryName(name, key));
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      writeSync(fd, JSON.stringify({ v: VERSION, key, stamps, resolved } satisfies CacheEntry));
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, path);
    } catch {
      unlinkSync(tmp);
    }
  } catch {
    // no cache: the next launch takes the slow path again
  }
}
