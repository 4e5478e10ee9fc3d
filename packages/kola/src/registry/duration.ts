import { InputError } from '@mantle/core/errors';
import { MAX_TIMER_MS, parseGoDuration } from '@mantle/core/time';

/**
 * Parse a duration given as milliseconds (number) or as text: a Go duration (`90s`, `10m`,
 * `1h30m`, `500ms`) or a bare number of milliseconds (`2500`), more than 0 and at most
 * MAX_TIMER_MS (24h; durations come from test metadata as well as flags). `what` names the field or flag in the error.
 */
export function parseDuration(value: number | string, what: string): number {
  const ms = typeof value === 'number' ? value : parseGoDuration(value.trim(), { bareMilliseconds: true });
  if (typeof value === 'number' && !(Number.isFinite(value) && value > 0)) {
    throw new InputError({
      code: 'BAD_DURATION',
      message: `${what}: ${value} is not a positive number of milliseconds`,
      hint: "give milliseconds (600000) or a duration such as '10m', '90s', '1h30m'",
    });
  }
  if (ms === undefined || ms <= 0) {
    throw new InputError({
      code: 'BAD_DURATION',
      message: `${what}: '${value}' is not a duration`,
      hint: "use a number of milliseconds or units ms, s, m, h, e.g. '10m' or '1h30m'",
    });
  }
  if (ms > MAX_TIMER_MS) {
    const shown = typeof value === 'number' ? `${value} ms` : `'${value}'`;
    throw new InputError({
      code: 'BAD_DURATION',
      message: `${what}: ${shown} is longer than the maximum of 24h`,
      hint: "give at most '24h' (86400000 ms); split a test that needs longer",
      details: { what, value, maxMs: MAX_TIMER_MS },
    });
  }
  return ms;
}

/** Format milliseconds the way Go prints test durations: `1.23s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
