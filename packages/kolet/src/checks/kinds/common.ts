import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckContext } from '../context.js';
import type { ResourceRun } from '../validate-value.js';
import type { CheckResult } from '../types.js';

/** A read done once per resource, however many attributes need it. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}

/**
 * goss's deprecateAtoI: uid, gid and exit-status given as text are read as integers, with a
 * deprecation warning (text that is no integer stays text).
 */
export function deprecateAtoI(value: unknown, desc: string, ctx: CheckContext): unknown {
  if (typeof value !== 'string') return value;
  ctx.warn(`DEPRECATION WARNING: ${desc} should be an integer not a string`);
  return /^[+-]?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

/** A path as goss opens it: `~` and `~user` expanded, relative to the working directory. */
export async function gossPath(path: string, ctx: CheckContext): Promise<string> {
  let p = path;
  if (p === '~' || p.startsWith('~/')) p = (ctx.env.HOME ?? homedir()) + p.slice(1);
  else if (p.startsWith('~')) {
    const name = p.slice(1).split('/')[0] ?? '';
    const user = (await ctx.passwd()).find((u) => u.name === name);
    if (user) p = user.home + p.slice(1 + name.length);
  }
  return isAbsolute(p) ? p : resolve(ctx.cwd, p);
}

/** The id goss shows: the key, or `key: target` when an alias attribute names another target. */
export function displayId(id: string, alias: string | undefined): string {
  return alias && alias !== id ? `${id}: ${alias}` : id;
}

/**
 * goss's retry for one attribute (dns, package): check again after `delayMs` while it fails,
 * at most `retries` more times; only the last attempt's result is kept.
 */
export async function checkWithRetry(
  run: ResourceRun,
  retries: number | undefined,
  delayMs: number | undefined,
  ctx: CheckContext,
  attempt: () => Promise<CheckResult>,
): Promise<void> {
  const attempts = Math.max(0, retries ?? 0) + 1;
  for (let i = 0; i < attempts; i++) {
    const r = await attempt();
    if (r.status !== 'fail' || i === attempts - 1 || ctx.signal.aborted) return;
    run.results.pop();
    await sleep(delayMs && delayMs > 0 ? delayMs : 1000, undefined, { signal: ctx.signal }).catch(
      () => undefined,
    );
  }
}
