import type { Logger } from '@mantle/core/log';
import type { OpenStoreOptions } from '@mantle/ore/storage';
import type { StorePool } from '../fetch/object-url.js';
import type { Journal } from '../journal/journal.js';
import type { ResolvedRelease } from '../spec/resolve.js';

/** What every step of a pre-release or release works with. */
export interface RunContext {
  release: ResolvedRelease;
  journal: Journal;
  stores: StorePool;
  storeOptions: OpenStoreOptions;
  /** downloads and conversions: <cache>/<channel>/<board>/<version>/ */
  cacheDir: string;
  /** the key the source's signatures are checked with */
  verifyKey?: string;
  /** first wait between cloud polls (ms) */
  pollMs: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  signal: AbortSignal;
}
