import { InputError, OperationError, PrerequisiteError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { DryRun } from '../cloud/dry-run.js';
import { withRetries } from '../cloud/retry.js';

// The Compute Engine clients ore uses (@google-cloud/compute over its REST transport), made from a
// service-account key for one project, with an optional endpoint override
// (CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE, gcloud's own variable: local servers in tests, Private
// Service Connect endpoints). Every call goes through `call`: throttling (429
// RESOURCE_EXHAUSTED) and unavailability are retried with backoff, a dry run records the call
// instead of sending it, errors become MantleErrors. Each client module is imported on first use,
// by its own path: the package index loads all ~100 Compute clients (seconds of CPU).

/** The Compute Engine services ore calls. */
export type GceService =
  'images' | 'licenses' | 'globalOperations' | 'zoneOperations' | 'instances' | 'zones' | 'regions';

const MODULES: Record<GceService, [file: string, cls: string]> = {
  images: ['images_client', 'ImagesClient'],
  licenses: ['licenses_client', 'LicensesClient'],
  globalOperations: ['global_operations_client', 'GlobalOperationsClient'],
  zoneOperations: ['zone_operations_client', 'ZoneOperationsClient'],
  instances: ['instances_client', 'InstancesClient'],
  zones: ['zones_client', 'ZonesClient'],
  regions: ['regions_client', 'RegionsClient'],
};

/** A service-account key as Google writes it (the fields the clients use). */
export interface GceServiceAccountKey {
  client_email: string;
  private_key: string;
  project_id?: string;
  [k: string]: unknown;
}

export interface GceClientOptions {
  projectId: string;
  /** the service-account key; absent only in dry runs */
  credentials?: GceServiceAccountKey;
  /** where the key came from (its file), named when Google refuses it */
  profile?: string;
  /** the Compute API base, e.g. http://127.0.0.1:8080 (default https://compute.googleapis.com) */
  endpoint?: string;
  dryRun?: DryRun;
  logger?: Logger;
  /** calls per request including retries of throttling (default 8) */
  maxAttempts?: number;
  /** first backoff of a retry (ms, default 500) */
  retryBaseMs?: number;
  /** first wait between operation polls (ms, default 1000; grows with backoff) */
  pollMs?: number;
  signal?: AbortSignal;
}

/** Lazily made clients of one project. */
export interface GceClients {
  projectId: string;
  /** the key file (or `default`), for messages */
  profile: string;
  options: GceClientOptions;
  /**
   * One API call (`call('images', 'insert', {project, imageResource})`). Mutations return the
   * Operation to wait for (waitGceOperation), lists all pages' items, gets the resource.
   */
  call<T = Record<string, unknown>>(service: GceService, method: string, request: object): Promise<T>;
  destroy(): Promise<void>;
}

/** The gRPC status codes the REST transport maps HTTP statuses to. */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

interface GaxError {
  code?: number | string;
  status?: number;
  message?: string;
  reason?: string;
  errors?: { reason?: string; message?: string }[];
}

const HTTP_TO_GRPC: Record<number, number> = {
  400: GrpcCode.INVALID_ARGUMENT,
  401: GrpcCode.UNAUTHENTICATED,
  403: GrpcCode.PERMISSION_DENIED,
  404: GrpcCode.NOT_FOUND,
  409: GrpcCode.ALREADY_EXISTS,
  412: GrpcCode.FAILED_PRECONDITION,
  429: GrpcCode.RESOURCE_EXHAUSTED,
  503: GrpcCode.UNAVAILABLE,
};

/** What a client error says, whichever shape it came in. */
interface GceFailure {
  /** the gRPC status code */
  code?: number;
  /** Google's reason (`notFound`, `alreadyExists`, `rateLimitExceeded`, ...) */
  reason?: string;
  message: string;
}

/**
 * Normalize a client error: the REST transport throws either a gax GoogleError (gRPC `code`) or,
 * for plain HTTP failures, a GaxiosError whose `code`/`status` is the HTTP status and whose message
 * is Google's JSON error body ({"error": {code, message, errors: [{reason}], status}}).
 */
export function gceFailure(err: unknown): GceFailure {
  const e = (err ?? {}) as GaxError;
  let message = e.message ?? String(err);
  let reason = e.reason ?? e.errors?.[0]?.reason;
  let http = typeof e.status === 'number' ? e.status : undefined;
  let code = typeof e.code === 'number' ? e.code : undefined;
  if (code !== undefined && code >= 100) {
    http = code;
    code = undefined;
  }
  if (message.trimStart().startsWith('{')) {
    try {
      const body = JSON.parse(message) as {
        error?: { code?: number; message?: string; status?: string; errors?: { reason?: string }[] };
      };
      if (body.error) {
        message = body.error.message ?? message;
        reason ??= body.error.errors?.[0]?.reason;
        http ??= body.error.code;
        const named = body.error.status ? (GrpcCode as Record<string, number>)[body.error.status] : undefined;
        code ??= named;
      }
    } catch {
      // not JSON after all: keep the message as it is
    }
  }
  code ??= http !== undefined ? HTTP_TO_GRPC[http] : undefined;
  return { ...(code !== undefined ? { code } : {}), ...(reason ? { reason } : {}), message };
}

/** The HTTP-ish reason of a client error (`notFound`, `alreadyExists`, `rateLimitExceeded`, ...). */
export function gceReason(err: unknown): string | undefined {
  return gceFailure(err).reason;
}

/** true for "the resource does not exist" answers. */
export function isGceNotFound(err: unknown): boolean {
  const f = gceFailure(err);
  return f.code === GrpcCode.NOT_FOUND || f.reason === 'notFound';
}

/** true for "already exists" answers (HTTP 409). */
export function isGceAlreadyExists(err: unknown): boolean {
  const f = gceFailure(err);
  return (
    f.code === GrpcCode.ALREADY_EXISTS ||
    f.reason === 'alreadyExists' ||
    (f.code === GrpcCode.ABORTED && /already exists/i.test(f.message))
  );
}

function retryable(err: unknown): boolean {
  const f = gceFailure(err);
  return (
    f.code === GrpcCode.RESOURCE_EXHAUSTED ||
    f.code === GrpcCode.UNAVAILABLE ||
    ['rateLimitExceeded', 'userRateLimitExceeded', 'backendError'].includes(f.reason ?? '')
  );
}

/** Read CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE (gcloud's override variable) from an environment. */
export function gceEndpointFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE || undefined;
}

/** A zone name shaped like GCE's (us-central1-a); else exit 2 naming the flag. */
export function checkZoneName(zone: string, flag = '--zone'): string {
  if (/^[a-z]+-[a-z]+\d+-[a-z]$/.test(zone)) return zone;
  throw new InputError({
    code: 'GCE_BAD_ZONE',
    message: `${flag} ${JSON.stringify(zone)} is not a GCE zone name`,
    hint: 'use a zone like us-central1-a (gcloud compute zones list lists them)',
    details: { flag, value: zone },
  });
}

/** Make the clients (nothing is loaded or contacted until the first call). */
export function gceClients(opts: GceClientOptions): GceClients {
  const made = new Map<GceService, Promise<Record<string, unknown>>>();
  const dryState = new Map<string, Record<string, unknown>>();
  const profile = opts.profile ?? 'default';
  const clientOptions = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {
      fallback: true,
      projectId: opts.projectId,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
    };
    if (opts.endpoint) {
      const u = new URL(opts.endpoint);
      o.apiEndpoint = u.hostname;
      o.port = Number(u.port || (u.protocol === 'http:' ? 80 : 443));
      o.protocol = u.protocol.replace(':', '');
      // An explicit (empty) scopes key keeps the client from adding OAuth scopes for a custom
      // endpoint, which would make google-auth-library trade the key for a token at Google's
      // fixed token URL; without scopes it signs a self-signed JWT for compute.googleapis.com,
      // which is also what it does against the default endpoint.
      o.scopes = undefined;
    }
    return o;
  };
  const client = (service: GceService): Promise<Record<string, unknown>> => {
    let p = made.get(service);
    if (!p) {
      const [file, cls] = MODULES[service];
      p = import(`@google-cloud/compute/build/src/v1/${file}.js`).then((mod: Record<string, unknown>) => {
        const C = ((mod.default as Record<string, unknown> | undefined)?.[cls] ?? mod[cls]) as new (
          o: Record<string, unknown>,
        ) => Record<string, unknown>;
        return new C(clientOptions());
      });
      made.set(service, p);
    }
    return p;
  };
  return {
    projectId: opts.projectId,
    profile,
    options: opts,
    call: async <T>(service: GceService, method: string, request: object): Promise<T> => {
      const what = `${service}.${method}`;
      if (opts.dryRun) {
        opts.dryRun.record('GCE', what, request as Record<string, unknown>);
        return dryAnswer(service, method, request as Record<string, unknown>, dryState) as T;
      }
      const c = await client(service);
      const fn = c[method] as ((req: object) => Promise<unknown[]>) | undefined;
      if (typeof fn !== 'function')
        throw new Error(`@google-cloud/compute ${service} has no method ${method}`);
      const r = await withRetries(() => fn.call(c, request), {
        retryable,
        attempts: opts.maxAttempts ?? 8,
        ...(opts.retryBaseMs !== undefined ? { baseMs: opts.retryBaseMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.logger ? { logger: opts.logger } : {}),
        what,
      });
      const first = r[0] as Record<string, unknown> | undefined;
      // mutations answer an extended-operation wrapper around the Operation resource
      return (
        first && typeof first === 'object' && 'latestResponse' in first ? first.latestResponse : first
      ) as T;
    },
    destroy: async () => {
      const all = [...made.values()];
      made.clear();
      await Promise.all(
        all.map((p) =>
          p.then(
            (c) => (c.close as () => Promise<void>)?.call(c),
            () => undefined,
          ),
        ),
      );
    },
  };
}

// What a dry run answers in place of GCE: resources made earlier in the same dry run exist,
// nothing else does; mutations answer a finished operation.
function dryAnswer(
  service: GceService,
  method: string,
  req: Record<string, unknown>,
  made: Map<string, Record<string, unknown>>,
): unknown {
  const key = (kind: string, name: unknown): string => `${kind}/${String(name)}`;
  const done = { name: 'operation-dryrun', status: 'DONE' };
  if (method === 'list' || method === 'aggregatedList') return [];
  if (service === 'globalOperations' || service === 'zoneOperations') return done;
  if (service === 'licenses')
    return {
      name: req.license,
      selfLink: `projects/${String(req.project)}/global/licenses/${String(req.license)}`,
    };
  if (service === 'zones') return { name: req.zone, status: 'UP' };
  if (service === 'regions') return { name: req.region, status: 'UP' };
  if (method === 'insert') {
    const res = (req.imageResource ?? req.instanceResource) as Record<string, unknown>;
    made.set(key(service, res.name), {
      ...res,
      status: service === 'images' ? 'READY' : 'RUNNING',
      id: '0',
      creationTimestamp: new Date().toISOString(),
      selfLink: `projects/${String(req.project)}/global/${service}/${String(res.name)}`,
      ...(service === 'instances'
        ? {
            networkInterfaces: [
              { networkIP: '10.0.0.2', accessConfigs: [{ type: 'ONE_TO_ONE_NAT', natIP: '192.0.2.1' }] },
            ],
          }
        : {}),
    });
    return done;
  }
  if (method === 'get' || method === 'getFromFamily') {
    const hit = made.get(key(service, req.image ?? req.instance));
    if (hit) return hit;
    throw Object.assign(new Error('dry run: not found'), { code: GrpcCode.NOT_FOUND });
  }
  if (method === 'getSerialPortOutput') return { contents: '', next: '0' };
  if (method === 'getIamPolicy') return { bindings: [] };
  return done;
}

/**
 * Turn a client error into a MantleError: refused credentials are exit 3 naming the key file and
 * project; exhausted retries of throttling exit 1 saying so; the rest exit 1 with Google's message.
 */
export function gceError(
  err: unknown,
  ctx: { gce: Pick<GceClients, 'profile' | 'projectId'>; what: string },
): Error {
  if (err instanceof InputError || err instanceof PrerequisiteError || err instanceof OperationError)
    return err;
  if ((err as { name?: string }).name === 'AbortError') return err as Error;
  const e = gceFailure(err);
  const message = e.message.split('\n')[0]!;
  const { profile, projectId } = ctx.gce;
  if (e.code === GrpcCode.UNAUTHENTICATED || e.code === GrpcCode.PERMISSION_DENIED) {
    return new PrerequisiteError({
      code: 'GCE_AUTH',
      message: `Google refused ${ctx.what} for the service account of ${profile} in project ${projectId}: ${message}`,
      hint: 'check the key (ore profiles list -p gce), that it is not revoked, and its roles in the project; --gce-json-key picks another key',
      cause: err,
      details: { profile, project: projectId, grpcCode: e.code },
    });
  }
  return new OperationError({
    code: e.code === GrpcCode.RESOURCE_EXHAUSTED ? 'GCE_THROTTLED' : 'GCE_REQUEST_FAILED',
    message: `${ctx.what} failed${e.reason ? ` (${e.reason})` : ''}: ${message}`,
    ...(e.code === GrpcCode.RESOURCE_EXHAUSTED
      ? { hint: 'the project is over its API rate or quota; retry later' }
      : {}),
    cause: err,
    details: { project: projectId, ...(e.code !== undefined ? { grpcCode: e.code } : {}) },
  });
}
