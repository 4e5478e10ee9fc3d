import { Readable } from 'node:stream';
import { InputError, OperationError, PrerequisiteError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { DryRun } from './dry-run.js';
import { fetchCause, fetchFailure } from './fetch-failure.js';
import { retryAfterMs, withRetries } from './retry.js';

// A small JSON-over-HTTPS client for the clouds whose APIs ore speaks directly (DigitalOcean's
// API v2, OpenStack's Keystone/Glance/Nova): Node's fetch, throttling (429) and unavailability
// (502/503/504, connection resets) retried with backoff honouring Retry-After, authentication
// refusals as PrerequisiteError (exit 3) naming the profile, a dry run recording each call
// instead of sending it, and every other refusal as a RestError carrying the HTTP status and
// the service's own message, for the caller to turn into a flag-naming InputError.

export interface RestClientOptions {
  /** the service as users know it, in messages: `DigitalOcean`, `OpenStack Glance` */
  service: string;
  /** the error-code prefix: `DO`, `OPENSTACK` */
  codePrefix: string;
  /** where paths are resolved (no trailing slash) */
  baseUrl: string;
  /** headers of every request (authentication) */
  headers: Record<string, string>;
  /** the credentials' description for auth errors: `profile "default" of ~/.config/digitalocean.json` */
  profile: string;
  /** the way out of an auth refusal */
  authHint: string;
  /** pulls the service's message out of an error body */
  errorMessage?: (body: unknown) => string | undefined;
  logger?: Logger;
  signal?: AbortSignal;
  dryRun?: DryRun;
  /** retry tuning (tests) */
  retry?: { attempts?: number; baseMs?: number };
}

export interface RestRequest<T> {
  /** what is being done, in messages: `creating image flatcar-1` */
  what: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  /** a raw body (made anew per attempt, so retries resend it) */
  body?: () => Readable;
  contentType?: string;
  /** extra headers for this request */
  headers?: Record<string, string>;
  /** send it even when the command was interrupted (the cleanup of what an interrupted call left) */
  ignoreAbort?: boolean;
  /** what a dry run answers (reads: empty; writes: placeholders) */
  dryRunAnswer?: T;
  /**
   * false: never retry; 'throttling': only answers that say the call was not done (429), for
   * creating calls that a retry after a lost answer would duplicate
   */
  retry?: boolean | 'throttling';
}

export interface RestResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A refusal of a REST call: its HTTP status and the service's message. */
export class RestError extends OperationError {
  constructor(
    readonly status: number,
    readonly serviceMessage: string,
    opts: { code: string; message: string; hint?: string; details?: Record<string, unknown> },
  ) {
    super(opts);
  }
}

/** Whether an error is the service's 404. */
export function isRestNotFound(err: unknown): boolean {
  return err instanceof RestError && err.status === 404;
}

class Transient extends Error {
  constructor(
    message: string,
    readonly waitMs?: number,
    readonly throttled = false,
  ) {
    super(message);
  }
}

/** One REST endpoint with its credentials. */
export class RestClient {
  constructor(readonly options: RestClientOptions) {}

  /** The URL of a path (absolute URLs, as services return in `next` links, are kept). */
  url(path: string, query?: Record<string, string | number | undefined>): string {
    const u = new URL(/^https?:\/\//.test(path) ? path : `${this.options.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async request<T>(method: string, path: string, req: RestRequest<T>): Promise<RestResponse<T>> {
    const o = this.options;
    const url = this.url(path, req.query);
    if (o.dryRun) {
      o.dryRun.record(o.service, `${method} ${new URL(url).pathname}${new URL(url).search}`, {
        ...(req.json !== undefined ? { body: req.json } : {}),
        ...(req.body ? { body: '<file>' } : {}),
      });
      return { status: 200, body: (req.dryRunAnswer ?? {}) as T, headers: new Headers() };
    }
    const signal = req.ignoreAbort ? undefined : o.signal;
    const once = (): Promise<RestResponse<T>> => this.send<T>(method, url, req, signal);
    if (req.retry === false) return once().catch((err: unknown) => this.final(err, req));
    return withRetries(once, {
      attempts: o.retry?.attempts ?? 6,
      baseMs: o.retry?.baseMs ?? 500,
      retryable: (err) =>
        err instanceof Transient && (req.retry !== 'throttling' || err.throttled)
          ? (err.waitMs ?? true)
          : false,
      ...(signal ? { signal } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      what: req.what,
    }).catch((err: unknown) => this.final(err, req));
  }

  private final(err: unknown, req: RestRequest<unknown>): never {
    if (err instanceof Transient) {
      throw new OperationError({
        code: `${this.options.codePrefix}_UNAVAILABLE`,
        message: `${this.options.service}: ${req.what} failed: ${err.message}`,
        hint: 'the service is throttling or unavailable; retry later',
      });
    }
    throw err;
  }

  private async send<T>(
    method: string,
    url: string,
    req: RestRequest<T>,
    signal: AbortSignal | undefined,
  ): Promise<RestResponse<T>> {
    const o = this.options;
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers, ...req.headers };
    let body: string | ReadableStream | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.body) {
      headers['content-type'] = req.contentType ?? 'application/octet-stream';
      body = Readable.toWeb(req.body()) as ReadableStream;
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(req.body ? { duplex: 'half' } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      const final = fetchFailure(err, signal, {
        codePrefix: o.codePrefix,
        service: o.service,
        origin: new URL(url).origin,
        what: req.what,
        hint: 'check the endpoint and the network',
      });
      if (final) throw final;
      throw new Transient(fetchCause(err)?.message ?? (err as Error).message);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = text;
      }
    }
    if (res.ok) return { status: res.status, body: (parsed ?? {}) as T, headers: res.headers };
    const serviceMessage =
      o.errorMessage?.(parsed) ?? (typeof parsed === 'string' ? parsed.slice(0, 300) : res.statusText);
    if (res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504)
      throw new Transient(
        `HTTP ${res.status}: ${serviceMessage}`,
        retryAfterMs(res.headers.get('retry-after')),
        res.status === 429,
      );
    if (res.status === 401 || res.status === 403) {
      throw new PrerequisiteError({
        code: `${o.codePrefix}_AUTH`,
        message: `${o.service} refused ${req.what} for ${o.profile} (HTTP ${res.status}): ${serviceMessage}`,
        hint: o.authHint,
        details: { status: res.status },
      });
    }
    throw new RestError(res.status, serviceMessage, {
      code: res.status === 404 ? `${o.codePrefix}_NOT_FOUND` : `${o.codePrefix}_REQUEST_FAILED`,
      message: `${o.service}: ${req.what} failed (HTTP ${res.status}): ${serviceMessage}`,
      details: { status: res.status },
    });
  }
}

/**
 * Turn the service's 400/422 refusal of a value into an InputError naming the flag (exit 2);
 * anything else is returned unchanged.
 */
export function refusedValue(err: unknown, flag: string, value: string, hint: string): unknown {
  if (!(err instanceof RestError) || (err.status !== 400 && err.status !== 422)) return err;
  return new InputError({
    code: 'CLOUD_BAD_NAME',
    message: `${flag} ${JSON.stringify(value)} was refused: ${err.serviceMessage}`,
    hint,
    cause: err,
    details: { flag, value, status: err.status },
  });
}
