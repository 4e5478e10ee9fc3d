import { writeOut, type CommandContext } from '@mantle/core/cli';
import type { RegisterResult } from '../store/registry.js';

/** How every `register` reports its result. */
export function printRegistered(r: RegisterResult & { warnings?: string[] }, ctx: CommandContext): void {
  for (const w of r.warnings ?? []) ctx.logger.warn(w);
  writeOut(ctx, `registered ${r.app} -> ${r.launcher} (flake ${r.flakeFile})`);
}
