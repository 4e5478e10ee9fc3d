import { describe, expect, it } from 'vitest';
import { defineTest } from '../registry/define-test.js';
import type { TestDefinition } from '../types.js';
import { planUnits } from './plan.js';

const t = (name: string, extra: Partial<TestDefinition> = {}) =>
  defineTest({ name, run: () => {}, ...extra });
const names = (units: ReturnType<typeof planUnits>) =>
  units.map((u) => [u.tests.map((x) => x.name).join('+'), u.snapshot]);

describe('planUnits', () => {
  it('groups exclusive:false one-machine tests by user data, in the order of their first test', () => {
    const units = planUnits(
      [
        t('a', { exclusive: false }),
        t('b'),
        t('c', { exclusive: false, userData: 'x' }),
        t('d', { exclusive: false }),
        t('e', { exclusive: false, clusterSize: 2 }),
        t('f', { exclusive: false, userData: 'x' }),
      ],
      { snapshot: false },
    );
    expect(names(units)).toEqual([
      ['a+d', false],
      ['b', false],
      ['c+f', false],
      ['e', false],
    ]);
  });

  it('snapshots a config that at least two units boot, never LAN clusters or opted-out tests', () => {
    const units = planUnits(
      [
        t('a'),
        t('b'),
        t('c', { userData: 'x' }),
        t('d', { clusterSize: 2 }),
        t('e', { snapshot: false }),
        t('f', { userData: 'y' }),
        t('g', { userData: 'y', snapshot: false }),
      ],
      { snapshot: true },
    );
    expect(names(units)).toEqual([
      ['a', true],
      ['b', true],
      ['c', false], // booted once: a snapshot would only add its save
      ['d', false],
      ['e', false],
      ['f', false], // its only partner opted out
      ['g', false],
    ]);
  });

  it('a shared group counts as one machine; --no-snapshot and reruns (share: false) change the plan', () => {
    const tests = [t('a', { exclusive: false }), t('b', { exclusive: false }), t('c')];
    expect(names(planUnits(tests, { snapshot: true }))).toEqual([
      ['a+b', true],
      ['c', true],
    ]);
    expect(names(planUnits(tests, { snapshot: false }))).toEqual([
      ['a+b', false],
      ['c', false],
    ]);
    expect(names(planUnits(tests, { snapshot: true, share: false }))).toEqual([
      ['a', true],
      ['b', true],
      ['c', true],
    ]);
  });
});
