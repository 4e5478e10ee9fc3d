import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandContext } from '@mantle/core/cli';
import type { OpenStoreOptions } from '@mantle/ore/storage';
import { StorePool } from '../fetch/object-url.js';
import { Journal } from '../journal/journal.js';
import { defaultStateUrl, journalKey } from '../journal/state.js';
import { loadSpec } from '../spec/load.js';
import { resolveRelease } from '../spec/resolve.js';
import type { RunContext } from './run-context.js';

export interface RunArgs {
  spec?: string | undefined;
  channel: string;
  board: string;
  version: string;
  state?: string | undefined;
  cacheDir?: string | undefined;
  verifyKey?: string | undefined;
  resume: boolean;
  restart: boolean;
  pollInterval: number;
}

/** Everything a pre-release or release needs, from its flags; `close` releases the stores. */
async function openRun(
  command: 'pre-release' | 'release',
  a: RunArgs,
  storeOptions: OpenStoreOptions,
  ctx: CommandContext,
): Promise<RunContext & { close(): Promise<void> }> {
  const { spec } = await loadSpec(a.spec, ctx.cwd);
  const release = resolveRelease(spec, { channel: a.channel, board: a.board, version: a.version });
  const stores = new StorePool(storeOptions);
  try {
    const state = await stores.get((a.state ?? defaultStateUrl(ctx.env)).replace(/\/?$/, '/'));
    const journal = await Journal.open({
      store: state,
      key: journalKey(command, release),
      command,
      channel: release.channel,
      board: release.board,
      version: release.version,
      resume: a.resume,
      restart: a.restart,
      env: ctx.env,
      logger: ctx.logger,
    });
    const cacheBase =
      a.cacheDir !== undefined
        ? resolve(ctx.cwd, a.cacheDir)
        : join(ctx.env.XDG_CACHE_HOME || join(ctx.env.HOME || homedir(), '.cache'), 'mantle', 'plume');
    const verifyKey = a.verifyKey !== undefined ? resolve(ctx.cwd, a.verifyKey) : release.verifyKey;
    return {
      release,
      journal,
      stores,
      storeOptions,
      cacheDir: join(cacheBase, release.channel, release.board, release.version),
      ...(verifyKey !== undefined ? { verifyKey } : {}),
      pollMs: a.pollInterval * 1000,
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
      signal: ctx.signal,
      close: () => stores.close(),
    };
  } catch (err) {
    await stores.close();
    throw err;
  }
}

/** Open a run, do `fn` with it, and close its stores whatever happens. */
export async function withRun<T>(
  command: 'pre-release' | 'release',
  a: RunArgs,
  storeOptions: OpenStoreOptions,
  ctx: CommandContext,
  fn: (run: RunContext) => Promise<T>,
): Promise<T> {
  const run = await openRun(command, a, storeOptions, ctx);
  try {
    return await fn(run);
  } finally {
    await run.close();
  }
}
