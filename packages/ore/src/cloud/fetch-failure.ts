import { InterruptedError, PrerequisiteError, type MantleError } from '@mantle/core/errors';

/** The cause Node's fetch() gives a failed connection (`ECONNREFUSED`, a TLS error, ...). */
export function fetchCause(err: unknown): { code?: string; message?: string } | undefined {
  return (err as { cause?: { code?: string; message?: string } }).cause;
}

/**
 * What a fetch() that threw means when it is final: an interrupt (the signal aborted it), or a
 * service that cannot be reached (no listener, unknown host: exit 3 naming it). Undefined for the
 * rest (a reset connection, a timeout), which the caller retries.
 */
export function fetchFailure(
  err: unknown,
  signal: AbortSignal | undefined,
  o: { codePrefix: string; service: string; origin: string; what: string; hint: string },
): MantleError | undefined {
  if (signal?.aborted) return new InterruptedError('abort signal');
  const cause = fetchCause(err);
  if (cause?.code === 'ECONNREFUSED' || cause?.code === 'ENOTFOUND') {
    return new PrerequisiteError({
      code: `${o.codePrefix}_UNREACHABLE`,
      message: `${o.service} at ${o.origin} is unreachable (${cause.code}) while ${o.what}`,
      hint: o.hint,
      details: { url: o.origin },
    });
  }
  return undefined;
}
