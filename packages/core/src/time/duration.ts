// One parser for the durations users write in flags, test metadata and goss specs: Go's
// time.ParseDuration grammar (what mantle's and goss's users write), plus the extra forms a
// caller accepts (a bare number of milliseconds, days and weeks). Range checks and the error a
// caller gives stay with the caller: a kola timeout, a goss attribute and ore's --older-than
// name different things and have different limits.

/** Nanoseconds per unit, as Go's time package spells them (µ as U+00B5 and as U+03BC). */
const GO_UNITS_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * The longest timeout mantle's tools accept: 24 hours. Past 2^31-1 ms (~24.8 days) Node's
 * timers fire at once, so a `9999999h` timeout would end after a millisecond; nothing mantle
 * runs needs more than a day.
 */
export const MAX_TIMER_MS = 24 * 3_600_000;

/** Units besides Go's: days and weeks (for ages such as ore's `--older-than 2w`). */
export const DAY_WEEK_UNITS_MS: Readonly<Record<string, number>> = { d: 86_400_000, w: 604_800_000 };

export interface ParseDurationOptions {
  /** a plain number (`1500`, `2.5`) means this many milliseconds; Go accepts only `0` */
  bareMilliseconds?: boolean;
  /** more units, in milliseconds per unit (e.g. DAY_WEEK_UNITS_MS) */
  extraUnitsMs?: Readonly<Record<string, number>>;
}

const BARE_NUMBER = /^\d+(?:\.\d+)?$/;
// One element of a Go duration: digits with an optional fraction (`1`, `1.5`, `.5`, `1.`),
// then the unit, everything up to the next digit or dot.
const ELEMENT = /(\d*)(?:\.(\d*))?([^\d.]*)/y;

/**
 * Milliseconds from a duration as Go's time.ParseDuration reads it: an optional sign, then one
 * or more number+unit pairs (`300ms`, `-1.5h`, `2h45m`, `1µs`; units ns, us, µs, ms, s, m, h),
 * or `0`. Fractions are kept (`1.5ms` is 1.5). Returns undefined for anything else. Unlike Go
 * there is no int64 overflow error: `9999999h` is a number the caller's cap (e.g. MAX_TIMER_MS)
 * refuses by name. The text is not trimmed, as in Go.
 */
export function parseGoDuration(text: string, opts: ParseDurationOptions = {}): number | undefined {
  if (opts.bareMilliseconds && BARE_NUMBER.test(text)) return Number(text);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let ns = 0;
  let extraMs = 0;
  for (let pos = 0; pos < s.length;) {
    ELEMENT.lastIndex = pos;
    const m = ELEMENT.exec(s);
    const [whole = '', int = '', frac, unit = ''] = m ?? [];
    // A number needs a digit on one side of the dot, and every number a unit.
    if (!m || whole === '' || int + (frac ?? '') === '' || unit === '') return undefined;
    pos += whole.length;
    const unitNs = GO_UNITS_NS[unit];
    const unitMs = opts.extraUnitsMs?.[unit];
    if (unitNs !== undefined) {
      // As Go: the integer part times the unit, plus the fraction's share truncated to whole ns.
      ns += Number(int || '0') * unitNs + (frac ? Math.trunc(Number(`0.${frac}`) * unitNs) : 0);
    } else if (unitMs !== undefined) {
      extraMs += Number(`${int || '0'}.${frac || '0'}`) * unitMs;
    } else return undefined;
  }
  return sign * (ns / 1e6 + extraMs);
}
