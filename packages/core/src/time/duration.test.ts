import { describe, expect, it } from 'vitest';
import { DAY_WEEK_UNITS_MS, parseGoDuration } from './duration.js';

describe('parseGoDuration: Go time.ParseDuration grammar', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['5s', 5000],
    ['30s', 30_000],
    ['1478s', 1_478_000],
    ['-5s', -5000],
    ['+5s', 5000],
    ['-0s', 0],
    ['5.0s', 5000],
    ['5.6s', 5600],
    ['5.s', 5000],
    ['.5s', 500],
    ['1.0s', 1000],
    ['1.00s', 1000],
    ['1.004s', 1004],
    ['1.0040s', 1004],
    ['100.00100s', 100_001],
    ['10ns', 0.00001],
    ['11us', 0.011],
    ['12µs', 0.012],
    ['12μs', 0.012],
    ['13ms', 13],
    ['14s', 14_000],
    ['15m', 900_000],
    ['16h', 57_600_000],
    ['3h30m', 12_600_000],
    ['10.5s4m', 250_500],
    ['-2m3.4s', -123_400],
    ['1h2m3s4ms5us6ns', 3_723_004.005006],
    ['39h9m14.425s', ((39 * 60 + 9) * 60 + 14.425) * 1000],
    ['1.1s', 1100],
    ['0.100000000000000000000h', 360_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '3', '-', 's', '.', '-.', '.s', '+.s', '1d', '1ms ', ' 1ms', '1..5s', '1h-5m', '1e3s'])(
    '%j is not a duration',
    (text) => {
      expect(parseGoDuration(text)).toBeUndefined();
    },
  );

  it('has no overflow error: a caller caps the value by name', () => {
    expect(parseGoDuration('9999999h')).toBe(9_999_999 * 3_600_000);
  });

  it('reads a bare number as milliseconds only when asked (Go takes only 0)', () => {
    expect(parseGoDuration('1500')).toBeUndefined();
    expect(parseGoDuration('1500', { bareMilliseconds: true })).toBe(1500);
    expect(parseGoDuration('2.5', { bareMilliseconds: true })).toBe(2.5);
    expect(parseGoDuration('-1500', { bareMilliseconds: true })).toBeUndefined();
    expect(parseGoDuration('1m30s', { bareMilliseconds: true })).toBe(90_000);
  });

  it('takes extra units (days and weeks) mixed with Go units when asked', () => {
    expect(parseGoDuration('2d')).toBeUndefined();
    expect(parseGoDuration('2d', { extraUnitsMs: DAY_WEEK_UNITS_MS })).toBe(172_800_000);
    expect(parseGoDuration('1w1.5d12h', { extraUnitsMs: DAY_WEEK_UNITS_MS })).toBe(
      604_800_000 + 129_600_000 + 43_200_000,
    );
    expect(parseGoDuration('2y', { extraUnitsMs: DAY_WEEK_UNITS_MS })).toBeUndefined();
  });
});
