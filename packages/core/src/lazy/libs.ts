// Libraries most commands never touch are loaded on first use, not when a bin starts: every bin
// imports @mantle/core, and loading zod and yaml up front was about a third of `kola --help`.
// They are required synchronously (their CommonJS builds) so the sync APIs using them (Butane,
// profile field checks) stay sync. Only types are imported statically.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { z as Zod } from 'zod';

const requireLib = createRequire(import.meta.url);
let yaml: typeof Yaml | undefined;
let zod: typeof Zod | undefined;

/** The yaml package, loaded on first call. */
export function yamlLib(): typeof Yaml {
  return (yaml ??= requireLib('yaml') as typeof Yaml);
}

/** zod's `z`, loaded on first call. */
export function zodLib(): typeof Zod {
  return (zod ??= (requireLib('zod') as { z: typeof Zod }).z);
}
