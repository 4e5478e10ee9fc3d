import { writeOut, type CommandContext } from '@mantle/core/cli';
import type { RemoveResult } from '../store/registry.js';

/** How every `remove` reports what it removed. */
export function printRemoved(
  r: RemoveResult & { image?: string; imageRemoved?: boolean },
  ctx: CommandContext,
): void {
  for (const a of r.removed) writeOut(ctx, `removed ${a.app} (flake ${a.flakeFile})`);
  if (r.image) writeOut(ctx, `${r.imageRemoved ? 'removed' : 'could not remove'} image ${r.image}`);
}
