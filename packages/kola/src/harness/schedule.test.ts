import { describe, expect, it } from 'vitest';
import type { RunUnit } from './plan.js';
import { runScheduled } from './schedule.js';
import type { KolaTest } from '../types.js';

const unit = (name: string, snapshot: boolean): RunUnit => ({
  tests: [{ name, userData: snapshot ? undefined : name } as KolaTest],
  snapshot,
});

describe('runScheduled', () => {
  it('counts a booting template against -j, then starts its units before cold boots', async () => {
    let templateReady!: () => void;
    const template = new Promise<void>((r) => (templateReady = r));
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const gates = new Map<string, () => void>();
    const units = [unit('cold1', false), unit('snap1', true), unit('cold2', false), unit('snap2', true)];
    const done = runScheduled(units, {
      parallel: 2,
      configOf: (u) => u.tests[0]?.userData ?? '',
      templates: new Map([['', template]]),
      run: async (u) => {
        const name = u.tests[0]!.name;
        log.push(`start ${name}`);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => gates.set(name, r));
        running--;
      },
    });
    await new Promise((r) => setImmediate(r));
    // the template holds one of the two places: one cold unit runs
    expect(log).toEqual(['start cold1']);
    templateReady();
    await new Promise((r) => setImmediate(r));
    // ready: the snapshot unit goes before the next cold one
    expect(log).toEqual(['start cold1', 'start snap1']);
    gates.get('cold1')!();
    await new Promise((r) => setImmediate(r));
    expect(log.at(-1)).toBe('start snap2');
    gates.get('snap1')!();
    await new Promise((r) => setImmediate(r));
    expect(log.at(-1)).toBe('start cold2');
    gates.get('snap2')!();
    gates.get('cold2')!();
    await done;
    expect(most).toBe(2);
  });

  it('runs at least one unit while templates boot, and a failed template does not stop the run', async () => {
    const log: string[] = [];
    await runScheduled([unit('snap', true), unit('cold', false)], {
      parallel: 1,
      configOf: (u) => u.tests[0]?.userData ?? '',
      templates: new Map([['', Promise.reject(new Error('no snapshot'))]]),
      run: (u) => {
        log.push(u.tests[0]!.name);
        return Promise.resolve();
      },
    });
    expect(log).toEqual(['cold', 'snap']);
  });
});
