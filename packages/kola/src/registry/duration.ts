import { InputError } from '@mantle/core/errors';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration accepted: 24 hours. Durations come from test metadata (kola.json, a
 * test module) as well as flags; past 2^31-1 ms (~24.8 days) Node's timers fire at once, so a
 * `9999999h` timeout would end a test after a millisecond. No test needs more than a day.
 */
export const MAX_DURATION_MS = 24 * 3_600_000;

/**
 * Parse a duration given as milliseconds (number) or as Go-style text (`90s`, `10m`, `1h30m`,
 * `500ms`), at most MAX_DURATION_MS. `what` names the field or flag in the error.
 */
export function parseDuration(value: number | string, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > MAX_DURATION_MS) {
      throw new InputError({
        code: 'BAD_DURATION',
        message: `${what}: ${value} ms is longer than the maximum of 24h`,
        hint: "give at most '24h' (86400000 ms); split a test that needs longer",
        details: { what, value, maxMs: MAX_DURATION_MS },
      });
    }
    if (Number.isFinite(value) && value > 0) return value;
    throw new InputError({
      code: 'BAD_DURATION',
      message: `${what}: ${value} is not a positive number of milliseconds`,
      hint: "give milliseconds (600000) or a duration such as '10m', '90s', '1h30m'",
    });
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text), what);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || text.length === 0 || total <= 0) {
    throw new InputError({
      code: 'BAD_DURATION',
      message: `${what}: '${value}' is not a duration`,
      hint: "use a number of milliseconds or units ms, s, m, h, e.g. '10m' or '1h30m'",
    });
  }
  if (total > MAX_DURATION_MS) {
    throw new InputError({
      code: 'BAD_DURATION',
      message: `${what}: '${value}' is longer than the maximum of 24h`,
      hint: "give at most '24h'; split a test that needs longer",
      details: { what, value, maxMs: MAX_DURATION_MS },
    });
  }
  return total;
}

/** Format milliseconds the way Go prints test durations: `1.23s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
