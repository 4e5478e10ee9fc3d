import { writeOut, type CommandContext } from '@mantle/core/cli';
import type { ListEntry } from './list-command.js';

/** `all`, `a,b`, or `all except a,b` for one column. */
function column(allow: string[], deny: string[]): string {
  if (allow.length > 0) return allow.join(',');
  return deny.length > 0 ? `all except ${deny.join(',')}` : 'all';
}

/** Print the list as mantle's table: Test Name, Platforms, Architectures, Distributions. */
export function printList(entries: ListEntry[], ctx: Pick<CommandContext, 'stdout'>): void {
  const rows = [
    ['Test Name', 'Platforms', 'Architectures', 'Distributions'],
    ...entries.map((e) => [
      e.Name,
      column(e.Platforms, e.ExcludePlatforms),
      column(e.Architectures, e.ExcludeArchitectures),
      column(e.Distros, e.ExcludeDistros),
    ]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) {
    writeOut(
      ctx,
      r
        .map((cell, i) => (i < 3 ? cell.padEnd((widths[i] ?? 0) + 2) : cell))
        .join('')
        .trimEnd(),
    );
  }
}
