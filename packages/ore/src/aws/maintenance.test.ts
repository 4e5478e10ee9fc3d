import { describe, expect, it } from 'vitest';
import { InputError } from '@mantle/core/errors';
import { parseDuration } from './maintenance.js';

describe('ore parseDuration (--older-than, --poll-interval)', () => {
  it("reads Go's durations plus days and weeks", () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1w12h')).toBe(604_800_000 + 43_200_000);
    expect(parseDuration('1.5d')).toBe(129_600_000);
  });

  it('refuses a bare number, a negative age and text, naming the flag (exit 2)', () => {
    for (const bad of ['90', '-1h', 'soon', '', '2y']) {
      expect(() => parseDuration(bad, '--poll-interval')).toThrow(InputError);
      expect(() => parseDuration(bad, '--poll-interval')).toThrow(
        `--poll-interval ${JSON.stringify(bad)} is not a duration`,
      );
    }
  });
});
