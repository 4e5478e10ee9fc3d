import { describe, expect, it } from 'vitest';
import { decodeUsrAttrs, encodeUsrAttrs, nextUsr, usrStateOf, type UsrSlot } from './usr-ab.js';

const slot = (
  label: 'USR-A' | 'USR-B',
  number: number,
  priority: number,
  tries: number,
  successful: boolean,
): UsrSlot => ({
  label,
  number,
  uuid: '',
  attributes: encodeUsrAttrs(0n, { priority, tries, successful }),
  priority,
  tries,
  successful,
});

describe('usr a/b attributes', () => {
  it('encodes GUID:48,56 as priority 1, successful', () => {
    expect(encodeUsrAttrs(0n, { priority: 1, successful: true })).toBe((1n << 48n) | (1n << 56n));
    expect(decodeUsrAttrs((1n << 48n) | (1n << 56n))).toEqual({ priority: 1, tries: 0, successful: true });
  });

  it('packs priority in 48-51 and tries in 52-55 and keeps other bits', () => {
    const v = encodeUsrAttrs(4n | (1n << 63n), { priority: 15, tries: 9 });
    expect(decodeUsrAttrs(v)).toEqual({ priority: 15, tries: 9, successful: false });
    expect(v & 4n).toBe(4n);
    expect(v >> 63n).toBe(1n);
    expect(decodeUsrAttrs(encodeUsrAttrs(v, { priority: 2 }))).toEqual({
      priority: 2,
      tries: 9,
      successful: false,
    });
    expect(() => encodeUsrAttrs(0n, { priority: 16 })).toThrow(/priority 16 is out of range/);
    expect(() => encodeUsrAttrs(0n, { tries: -1 })).toThrow(/tries -1/);
  });

  it('picks the next slot like gptprio: highest priority with tries left or successful', () => {
    // pristine image: only USR-A is bootable
    expect(nextUsr([slot('USR-A', 3, 1, 0, true), slot('USR-B', 4, 0, 0, false)])).toBe('USR-A');
    // after an update: B has priority 2 and one try
    expect(nextUsr([slot('USR-A', 3, 1, 0, true), slot('USR-B', 4, 2, 1, false)])).toBe('USR-B');
    // the try was used up without success: fall back to A
    expect(nextUsr([slot('USR-A', 3, 1, 0, true), slot('USR-B', 4, 2, 0, false)])).toBe('USR-A');
    // equal priority: the lower partition number wins
    expect(nextUsr([slot('USR-B', 4, 1, 0, true), slot('USR-A', 3, 1, 0, true)])).toBe('USR-A');
    expect(nextUsr([slot('USR-A', 3, 0, 5, true)])).toBeUndefined();
  });

  it('reports active (last known good) and next from a table', () => {
    const a = encodeUsrAttrs(0n, { priority: 1, successful: true });
    const b = encodeUsrAttrs(0n, { priority: 2, tries: 1 });
    const state = usrStateOf({
      file: 'x.img',
      partitions: [
        { number: 3, name: 'USR-A', type: '', uuid: 'A', startLba: 0, endLba: 0, sizeLba: 1, attributes: a },
        { number: 4, name: 'USR-B', type: '', uuid: 'B', startLba: 1, endLba: 1, sizeLba: 1, attributes: b },
      ],
    });
    expect(state.active).toBe('USR-A');
    expect(state.next).toBe('USR-B');
    expect(state.slots.map((s) => [s.label, s.priority, s.tries, s.successful])).toEqual([
      ['USR-A', 1, 0, true],
      ['USR-B', 2, 1, false],
    ]);
  });
});
