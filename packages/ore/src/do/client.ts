import type { Logger } from '@mantle/core/log';
import type { DryRun } from '../cloud/dry-run.js';
import { RestClient } from '../cloud/rest-client.js';

// DigitalOcean's API v2 (https://api.digitalocean.com/v2): JSON over HTTPS with a bearer token,
// errors as {"id": "unprocessable_entity", "message": "..."}, listings paged through
// links.pages.next, slow changes as actions polled at /v2/actions/{id}.

/** The API's default endpoint; DIGITALOCEAN_API_URL (doctl's --api-url) points elsewhere. */
export const DO_API_URL = 'https://api.digitalocean.com';

export interface DoClientOptions {
  token: string;
  /** where the token came from, for auth errors */
  profile: string;
  /** API root without /v2 (default DO_API_URL) */
  endpoint?: string;
  logger?: Logger;
  signal?: AbortSignal;
  dryRun?: DryRun;
  retry?: { attempts?: number; baseMs?: number };
}

/** The tag ore puts on what it makes (mantle tags its droplets `mantle` too); gc looks for it. */
export const DO_MANTLE_TAG = 'mantle';

/** A client of the DigitalOcean API v2 for one token. */
export function doClient(opts: DoClientOptions): RestClient {
  return new RestClient({
    service: 'DigitalOcean',
    codePrefix: 'DO',
    baseUrl: `${(opts.endpoint ?? DO_API_URL).replace(/\/+$/, '')}/v2`,
    headers: { authorization: `Bearer ${opts.token}` },
    profile: opts.profile,
    authHint:
      'check the token (ore profiles list -p do); create one with read and write scope in the control panel (API → Tokens)',
    errorMessage: (b) =>
      b && typeof b === 'object' && typeof (b as { message?: unknown }).message === 'string'
        ? (b as { message: string }).message
        : undefined,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.dryRun ? { dryRun: opts.dryRun } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
  });
}

/** Every item of a paged listing (`key` is the array's field: images, droplets, regions). */
export async function doListAll<T>(
  api: RestClient,
  path: string,
  key: string,
  query: Record<string, string | number | undefined>,
  what: string,
): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = api.url(path, { per_page: 200, ...query });
  while (next) {
    const page: { body: Record<string, unknown> } = await api.request<Record<string, unknown>>('GET', next, {
      what,
      dryRunAnswer: { [key]: [] },
    });
    out.push(...((page.body[key] as T[] | undefined) ?? []));
    next = (page.body.links as { pages?: { next?: string } } | undefined)?.pages?.next;
  }
  return out;
}
