import type { CommandContext } from '@mantle/core/cli';
import { loadNativeModule } from '../native/load-module.js';
import type { NativeListing, NativeRegistry } from '../native/registry.js';
import { isSea } from '../sea.js';
import { koletBuildId } from '../version.js';

/** What `kolet version --json` says besides name and version (`kolet list` says which functions it has). */
export function koletVersionDetails() {
  return {
    buildId: koletBuildId(),
    node: process.version,
    sea: isSea(),
    platform: process.platform,
    arch: process.arch,
  };
}

/** `kolet list`: the tests and native functions kolet can run (bundled plus --module ones). */
export async function listCommand(
  opts: { modules: string[]; registry: NativeRegistry },
  ctx: CommandContext,
): Promise<NativeListing[]> {
  for (const m of opts.modules) await loadNativeModule(m, opts.registry, { cwd: ctx.cwd, sea: isSea() });
  return opts.registry.list();
}

/** Print the listing as `test: func, func` lines. */
export function printList(list: NativeListing[], ctx: CommandContext): void {
  if (list.length === 0) ctx.stderr.write('no native functions registered\n');
  for (const t of list) ctx.stdout.write(`${t.test}: ${t.funcs.join(', ')}\n`);
}
