import type { RunPlan } from './dry-run.js';

// Kept apart from dry-run.ts (and its price table) so `kola run`'s printer loads nothing heavy.

/** The plan as text: one line per test, then the totals. */
export function formatPlan(p: RunPlan): string {
  const w = Math.max(4, ...p.tests.map((t) => t.name.length));
  const money = (n: number | undefined): string =>
    n === undefined ? 'unknown' : `${n.toFixed(2)} ${p.currency}`;
  const lines = [
    `plan: ${p.tests.length} test(s) on ${p.platform} ${p.region ?? ''}, ${p.instanceType}${p.image ? `, ${p.image}` : ''}${p.shard ? `, shard ${p.shard}` : ''}`,
    `${'TEST'.padEnd(w)}  MACHINES  MINUTES`,
    ...p.tests.map(
      (t) =>
        `${t.name.padEnd(w)}  ${String(t.machines).padStart(8)}  ${String(t.minutes).padStart(7)}${t.from === 'report' ? '' : '*'}`,
    ),
    `total: ${p.machines} machine(s) × ${p.instanceType} ≈ ${p.instanceHours} instance-hours × ${p.pricePerHour === undefined ? '?' : `${p.pricePerHour} ${p.currency}/h`} ≈ ${money(p.estimatedCost)}${p.estimatedCostMax !== p.estimatedCost ? ` (up to ${money(p.estimatedCostMax)} with --rerun-failed)` : ''} (prices as of ${p.pricesAsOf})`,
    ...p.notes.map((n) => `note: ${n}`),
  ];
  return lines.join('\n') + '\n';
}
