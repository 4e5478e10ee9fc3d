import { describe, expect, it } from 'vitest';
import { trackProgress } from './progress.js';

describe('trackProgress', () => {
  it('reports only increasing counts, capped at the total, and ends on the total', () => {
    const calls: Array<[number, number | undefined]> = [];
    const p = trackProgress((n, t) => calls.push([n, t]), 100);
    p.to(10);
    p.to(10);
    p.to(5);
    p.add(20);
    p.to(150);
    p.done();
    expect(calls).toEqual([
      [10, 100],
      [30, 100],
      [100, 100],
    ]);
  });

  it('ends on the counted bytes when the total is unknown', () => {
    const calls: Array<[number, number | undefined]> = [];
    const p = trackProgress((n, t) => calls.push([n, t]), undefined);
    p.add(7);
    p.add(8);
    p.done(15);
    expect(calls).toEqual([
      [7, undefined],
      [15, undefined],
    ]);
  });
});
