import type { CommandContext } from '@mantle/core/cli';
import { globMatcher } from '../registry/filter.js';
import { loadRegistry } from './load-registry.js';
import type { KolaTest } from '../types.js';

export interface ListOptions {
  /** only tests whose names match one of these globs */
  filter?: readonly string[];
  testsDirs?: readonly string[];
  /** `-E` directories of external tests to list too */
  exttest?: readonly string[];
}

/** One row of `kola list --json` (mantle's capitalised keys, plus Tags/Timeout and more). */
export interface ListEntry {
  Name: string;
  Description: string;
  Platforms: string[];
  ExcludePlatforms: string[];
  Architectures: string[];
  ExcludeArchitectures: string[];
  Distros: string[];
  ExcludeDistros: string[];
  Tags: string[];
  /** nanoseconds, as Go's time.Duration marshals */
  Timeout: number;
  ClusterSize: number;
  Flags: string[];
  /** 'built-in' or the module it came from */
  Source: string;
}

/** `kola list`: the registered tests (built-in and --tests-dir), optionally filtered by glob. */
export async function listCommand(opts: ListOptions, ctx: Pick<CommandContext, 'cwd'>): Promise<ListEntry[]> {
  const registry = await loadRegistry({ testsDirs: opts.testsDirs ?? [], cwd: ctx.cwd });
  if (opts.exttest && opts.exttest.length > 0) {
    const { loadExtTests } = await import('../exttest/discover.js');
    for (const t of await loadExtTests(opts.exttest, { cwd: ctx.cwd })) registry.register(t);
  }
  const match = opts.filter && opts.filter.length > 0 ? globMatcher(opts.filter) : () => true;
  return registry
    .list()
    .filter((t) => match(t.name))
    .map(toEntry);
}

function toEntry(t: KolaTest): ListEntry {
  return {
    Name: t.name,
    Description: t.description,
    Platforms: [...t.platforms],
    ExcludePlatforms: [...t.excludePlatforms],
    Architectures: [...t.architectures],
    ExcludeArchitectures: [...t.excludeArchitectures],
    Distros: [...t.distros],
    ExcludeDistros: [...t.excludeDistros],
    Tags: [...t.tags],
    Timeout: t.timeoutMs * 1e6,
    ClusterSize: t.clusterSize,
    Flags: [...t.flags],
    Source: t.source,
  };
}
