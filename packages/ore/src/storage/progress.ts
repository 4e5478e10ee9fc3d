import type { ProgressFn } from './types.js';

/** A progress sink that only ever reports increasing byte counts and ends exactly at the total. */
export interface ProgressTracker {
  /** report an absolute byte count (ignored unless larger than the last one) */
  to(bytes: number): void;
  /** add bytes to the count */
  add(bytes: number): void;
  /** report the final count once the transfer succeeded */
  done(bytes?: number): void;
  readonly bytes: number;
}

/** Wrap a caller's onProgress so SDK events (which may repeat, regress or stop short) stay monotonic. */
export function trackProgress(fn: ProgressFn | undefined, total: number | undefined): ProgressTracker {
  let last = 0;
  let reported = -1;
  const emit = (bytes: number): void => {
    // SDKs may count retried parts twice; never report past the known total.
    const b = total === undefined ? bytes : Math.min(bytes, total);
    if (b <= reported) return;
    reported = b;
    last = b;
    fn?.(b, total);
  };
  return {
    to: (bytes) => emit(bytes),
    add: (bytes) => emit(last + bytes),
    done: (bytes) => emit(bytes ?? total ?? last),
    get bytes() {
      return last;
    },
  };
}
