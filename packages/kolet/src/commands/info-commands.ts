import type { CommandContext } from '@mantle/core/cli';
import { loadNativeModule } from '../native/load-module.js';
import type { NativeListing, NativeRegistry } from '../native/registry.js';
import { isSea } from '../sea.js';
import { koletBuildId, koletVersion } from '../version.js';
import { koletVersionLine } from '../remote/executable.js';

export interface VersionInfo {
  version: string;
  buildId: string;
  node: string;
  sea: boolean;
  platform: string;
  arch: string;
}

/** `kolet version`: what this kolet is (`kolet list` says which functions it has). */
export function versionCommand(): VersionInfo {
  return {
    version: koletVersion,
    buildId: koletBuildId(),
    node: process.version,
    sea: isSea(),
    platform: process.platform,
    arch: process.arch,
  };
}

/** `kolet version` as text: one line, the one kola compares to skip re-uploads. */
export function printVersion(v: VersionInfo, ctx: CommandContext): void {
  ctx.stdout.write(`${koletVersionLine(v.version, v.buildId)}\n`);
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
