import { InterruptedError, OperationError } from '@mantle/core/errors';

export interface PollOptions {
  /** first wait (ms); default 5 s */
  initialMs?: number;
  /** longest wait between polls (ms); default 60 s */
  maxMs?: number;
  /** wait growth per poll; default 1.5 */
  factor?: number;
  /** give up after (ms); default 2 h */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** what is awaited, for the timeout message */
  what: string;
}

/**
 * Call `check` until it returns a value (not undefined), waiting longer between calls each time
 * (exponential backoff, capped). Cloud operations that take minutes (imports, copies) are
 * polled with this; a timeout is an OperationError, an abort an InterruptedError.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, opts: PollOptions): Promise<T> {
  const start = Date.now();
  let wait = opts.initialMs ?? 5000;
  for (;;) {
    if (opts.signal?.aborted) throw new InterruptedError('abort signal');
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() - start > (opts.timeoutMs ?? 2 * 3600_000)) {
      throw new OperationError({
        code: 'CLOUD_WAIT_TIMEOUT',
        message: `gave up waiting for ${opts.what} after ${Math.round((Date.now() - start) / 1000)} s`,
        hint: 'it may still finish: look it up in the cloud console, or rerun (reruns pick it up)',
      });
    }
    await sleep(wait, opts.signal);
    wait = Math.min(opts.maxMs ?? 60_000, wait * (opts.factor ?? 1.5));
  }
}

/** setTimeout as a promise that an abort ends early (rejecting with InterruptedError). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError('abort signal'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new InterruptedError('abort signal'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
