import { parseGoDuration } from '@mantle/core/time';

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
