import type { KolaTest } from '../types.js';

/**
 * What the harness schedules: one test on its own machines, or a group of non-exclusive tests
 * (`exclusive: false`) that run one after another on one shared machine.
 */
export interface RunUnit {
  tests: KolaTest[];
  /** machines of this unit start from a snapshot of their config (see planUnits) */
  snapshot: boolean;
}

export interface PlanOptions {
  /** --snapshot (default on): restore machines from snapshots where that saves boots */
  snapshot: boolean;
  /** group non-exclusive tests onto shared machines (default on) */
  share?: boolean;
}

/**
 * Split the selected tests into run units, in the order of their first test:
 *
 * - tests with `exclusive: false` and one machine (clusterSize 1) that boot the same user data
 *   form one group: one machine, the tests in turn, each with its own result;
 * - a unit's machines come from a snapshot when snapshots are on, the test allows it
 *   (`snapshot` not false), it has one machine (a private LAN gives each machine its own
 *   address) and at least one other unit boots the same user data: a snapshot costs one boot
 *   plus a save, so a config booted once gains nothing from it.
 */
export function planUnits(tests: readonly KolaTest[], opts: PlanOptions): RunUnit[] {
  const units: RunUnit[] = [];
  const groups = new Map<string, RunUnit>();
  for (const t of tests) {
    if (opts.share !== false && isShareable(t)) {
      const key = configKey(t);
      const g = groups.get(key);
      if (g) {
        g.tests.push(t);
        continue;
      }
      const unit: RunUnit = { tests: [t], snapshot: false };
      groups.set(key, unit);
      units.push(unit);
      continue;
    }
    units.push({ tests: [t], snapshot: false });
  }
  if (!opts.snapshot) return units;
  const eligible = units.filter((u) => u.tests.every(snapshotAllowed));
  const count = new Map<string, number>();
  for (const u of eligible) count.set(configKey(u.tests[0]!), (count.get(configKey(u.tests[0]!)) ?? 0) + 1);
  for (const u of eligible) u.snapshot = (count.get(configKey(u.tests[0]!)) ?? 0) >= 2;
  return units;
}

/** A test that may share its machine: it said so, and it has exactly one machine. */
function isShareable(t: KolaTest): boolean {
  return !t.exclusive && t.clusterSize === 1;
}

function snapshotAllowed(t: KolaTest): boolean {
  return t.snapshot && t.clusterSize === 1;
}

// Machines of tests with the same user data boot the same merged config on one flight.
function configKey(t: KolaTest): string {
  return t.userData ?? '';
}
