import type { RunUnit } from './plan.js';

/**
 * Runs the units of a plan at most `parallel` at a time, in an order that keeps the CPUs busy
 * with what shortens the run:
 *
 * - a snapshot template that is still booting takes one of the `parallel` places (under TCG a
 *   boot is CPU-bound: a template sharing the CPUs with `parallel` other boots is ready later,
 *   and every unit restored from it waits); at least one unit always runs;
 * - once a unit's snapshot is ready, it goes before units that boot (a restore takes about a
 *   second, and the units that need a snapshot would otherwise queue behind cold boots while
 *   the CPU time spent on the template waits unused);
 * - else the next unit that needs no snapshot; else the next unit, which then waits for its
 *   snapshot.
 *
 * `templates` maps a snapshot unit's config to the promise of its template being ready (or
 * having failed: its units then boot); a config missing there is ready.
 */
export async function runScheduled(
  units: readonly RunUnit[],
  opts: {
    parallel: number;
    configOf: (unit: RunUnit) => string;
    templates: ReadonlyMap<string, Promise<unknown>>;
    run: (unit: RunUnit) => Promise<void>;
  },
): Promise<void> {
  const queue = [...units];
  const pendingTemplates = new Set<string>();
  let running = 0;
  let failure: { err: unknown } | undefined;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));

  const capacity = (): number => Math.max(1, opts.parallel - pendingTemplates.size);
  const next = (): RunUnit | undefined => {
    let i = queue.findIndex((u) => u.snapshot && !pendingTemplates.has(opts.configOf(u)));
    if (i < 0) i = queue.findIndex((u) => !u.snapshot);
    if (i < 0) i = 0;
    return queue.splice(i, 1)[0];
  };
  const pump = (): void => {
    while (running < capacity() && queue.length > 0) {
      const unit = next();
      if (!unit) break;
      running++;
      void opts
        .run(unit)
        .catch((err: unknown) => (failure ??= { err }))
        .finally(() => {
          running--;
          pump();
        });
    }
    if (running === 0 && queue.length === 0) done();
  };

  for (const [config, ready] of opts.templates) {
    pendingTemplates.add(config);
    void ready
      .catch(() => undefined)
      .finally(() => {
        pendingTemplates.delete(config);
        pump();
      });
  }
  pump();
  await finished;
  if (failure) throw failure.err;
}
