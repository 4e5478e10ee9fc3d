// Time concern: parsing the durations users write (Go's time.ParseDuration grammar).
export { DAY_WEEK_UNITS_MS, MAX_TIMER_MS, parseGoDuration, type ParseDurationOptions } from './duration.js';
