import type { Logger } from '@mantle/core/log';
import { sleep } from './wait.js';

export interface RetryOptions {
  /** calls in all, the first included (default 8) */
  attempts?: number;
  /** first backoff (ms, default 500); doubles per attempt with jitter, capped at maxMs */
  baseMs?: number;
  /** longest backoff (ms, default 20 s) */
  maxMs?: number;
  /**
   * Whether an error is worth another try (throttling, a busy or unreachable service): false for
   * no, true for the backoff, or a number of ms the service asked to wait (Retry-After).
   */
  retryable: (err: unknown) => boolean | number;
  signal?: AbortSignal;
  logger?: Logger;
  /** what is being done, for the log line of a retry */
  what?: string;
}

/**
 * Call `fn` until it succeeds, a non-retryable error, or the attempts run out, waiting with
 * exponential backoff and full jitter between tries (AWS's recommended scheme: spreads retries of
 * many throttled clients). The clouds whose SDKs do not retry throttling themselves go through
 * this (GCE's REST transport, DigitalOcean, OpenStack, vSphere).
 */
export async function withRetries<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 8);
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 20_000;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const verdict = i < attempts && !opts.signal?.aborted ? opts.retryable(err) : false;
      if (verdict === false) throw err;
      const backoff = Math.random() * Math.min(max, base * 2 ** (i - 1));
      const wait = typeof verdict === 'number' ? Math.min(max, Math.max(verdict, backoff)) : backoff;
      opts.logger?.debug(
        `${opts.what ?? 'request'} failed (${(err as Error).message?.split('\n')[0] ?? String(err)}); retry ${i}/${attempts - 1} in ${Math.round(wait)} ms`,
      );
      await sleep(wait, opts.signal);
    }
  }
}

/** A Retry-After header value (seconds or an HTTP date) in ms, if it has one. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
