import { OperationError } from '@mantle/core/errors';
import { pollUntil } from '../cloud/wait.js';
import type { GceClients } from './clients.js';

/** A Compute Engine Operation as the clients return it (the fields ore reads). */
export interface GceOperation {
  name?: string | null;
  status?: string | number | null;
  zone?: string | null;
  targetLink?: string | null;
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
}

/** The first error of a finished operation, as {code, message}. */
export function gceOperationError(op: GceOperation): { code: string; message: string } | undefined {
  const e = op.error?.errors?.[0];
  return e ? { code: e.code ?? 'UNKNOWN', message: e.message ?? '' } : undefined;
}

/**
 * Wait for a global (no zone) or zone operation to be DONE, polling `get` with backoff (GCE's
 * operations take seconds to minutes). A failed operation is an OperationError
 * GCE_OPERATION_FAILED carrying the operation's errors in `details.errors`.
 */
export async function waitGceOperation(
  gce: GceClients,
  op: GceOperation,
  opts: { zone?: string; what: string; timeoutMs?: number },
): Promise<GceOperation> {
  let cur = op;
  const zone = opts.zone ?? (op.zone ? op.zone.split('/').pop() : undefined);
  const project = gce.projectId;
  const done = (o: GceOperation): boolean => o.status === 'DONE' || o.status === 3;
  if (!done(cur)) {
    cur = await pollUntil(
      async () => {
        const o = zone
          ? await gce.call<GceOperation>('zoneOperations', 'get', { project, zone, operation: op.name })
          : await gce.call<GceOperation>('globalOperations', 'get', { project, operation: op.name });
        return done(o) ? o : undefined;
      },
      {
        what: opts.what,
        initialMs: gce.options.pollMs ?? 1000,
        maxMs: 10_000,
        timeoutMs: opts.timeoutMs ?? 30 * 60_000,
        ...(gce.options.signal ? { signal: gce.options.signal } : {}),
      },
    );
  }
  const err = gceOperationError(cur);
  if (err) {
    throw new OperationError({
      code: 'GCE_OPERATION_FAILED',
      message: `${opts.what} failed (${err.code}): ${err.message}`,
      details: { operation: cur.name, errors: cur.error?.errors ?? [] },
    });
  }
  return cur;
}
