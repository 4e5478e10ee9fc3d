import { MAX_TIMER_MS, parseGoDuration } from '@mantle/core/time';

/**
 * The longest duration a check spec or flag may give: 24 hours. Specs come from test metadata;
 * past 2^31-1 ms Node's timers fire at once, so `9999999h` would time out immediately.
 */
export const MAX_DURATION_MS = MAX_TIMER_MS;

/**
 * Milliseconds from a number (already milliseconds, as goss's `timeout`) or a string: a Go
 * duration (`500ms`, `10s`, `1m30s`) or a bare number of milliseconds (`1500`), rounded to
 * whole milliseconds. Returns undefined when it is neither, or negative.
 */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const ms = parseGoDuration(value.trim(), { bareMilliseconds: true });
  return ms === undefined || ms < 0 ? undefined : Math.round(ms);
}
