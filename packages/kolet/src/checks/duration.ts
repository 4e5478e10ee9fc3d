const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration a check spec or flag may give: 24 hours. Specs come from test metadata;
 * past 2^31-1 ms Node's timers fire at once, so `9999999h` would time out immediately.
 */
export const MAX_DURATION_MS = 24 * 3_600_000;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * Milliseconds from a number (already milliseconds, as goss's `timeout`) or a string such as
 * `500ms`, `10s`, `2m`, `1h` or `1500` (milliseconds). Returns undefined when it is neither.
 */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 'ms'] ?? 1));
}
