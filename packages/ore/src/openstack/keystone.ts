import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { DryRun } from '../cloud/dry-run.js';
import { RestClient } from '../cloud/rest-client.js';

// OpenStack's Identity service v3 (Keystone): password authentication scoped to a project
// (POST /v3/auth/tokens), the token in the X-Subject-Token header and the service catalog in
// the body; the Image (Glance v2) and Compute (Nova) endpoints are picked from the catalog by
// region and the public interface, as gophercloud does for Go mantle.

/** What ore logs in with: the fields of ~/.config/openstack.json's profile. */
export interface OpenStackLogin {
  authUrl: string;
  username: string;
  password: string;
  tenantId?: string | undefined;
  tenantName?: string | undefined;
  userDomain?: string | undefined;
  regionName?: string | undefined;
}

/** A scoped token and the endpoints of the chosen region. */
export interface OpenStackSession {
  region: string;
  /** Glance, e.g. http://host:9292/v2 */
  image: RestClient;
  /** Nova (servers), when the catalog has it */
  compute?: RestClient;
}

export interface OpenStackSessionOptions {
  login: OpenStackLogin;
  /** --region, else the profile's region_name, else the catalog's only region */
  region?: string | undefined;
  /** where the login came from, for auth errors */
  profile: string;
  logger?: Logger;
  signal?: AbortSignal;
  dryRun?: DryRun;
}

interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: { interface: string; region?: string; region_id?: string; url: string }[];
}

const MANTLE_AUTH_HINT =
  'check the login (ore profiles list -p openstack): auth_url, username, password, user_domain and tenant_name or tenant_id';

function identityRoot(authUrl: string): string {
  const u = authUrl.replace(/\/+$/, '');
  if (/\/v3$/.test(u)) return u;
  return `${u.replace(/\/v2\.0$/, '')}/v3`;
}

function restOf(
  opts: OpenStackSessionOptions,
  service: string,
  baseUrl: string,
  headers: Record<string, string>,
): RestClient {
  return new RestClient({
    service,
    codePrefix: 'OPENSTACK',
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers,
    profile: opts.profile,
    authHint: MANTLE_AUTH_HINT,
    errorMessage: openStackErrorMessage,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.dryRun ? { dryRun: opts.dryRun } : {}),
  });
}

/** The message of an OpenStack error body: Keystone {error:{message}}, Nova {itemNotFound:{message}}, Glance text. */
export function openStackErrorMessage(body: unknown): string | undefined {
  if (typeof body === 'string')
    return body
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 300);
  if (!body || typeof body !== 'object') return undefined;
  for (const v of Object.values(body as Record<string, unknown>)) {
    const m = (v as { message?: unknown } | null)?.message;
    if (typeof m === 'string') return m;
  }
  return undefined;
}

/** Log in to Keystone and pick the region's Glance and Nova endpoints. */
export async function openStackSession(opts: OpenStackSessionOptions): Promise<OpenStackSession> {
  const { login } = opts;
  if (!login.tenantId && !login.tenantName) {
    throw new InputError({
      code: 'OPENSTACK_NO_PROJECT',
      message: `${opts.profile} names no project: set tenant_name or tenant_id`,
      hint: 'the token must be scoped to a project to reach the image service',
      details: { fields: ['tenant_name', 'tenant_id'] },
    });
  }
  const domain = { name: login.userDomain ?? 'Default' };
  const identity = restOf(opts, 'OpenStack Keystone', identityRoot(login.authUrl), {});
  const region = opts.region ?? login.regionName;
  if (opts.dryRun) {
    identity.options.dryRun?.record('OpenStack Keystone', 'POST /v3/auth/tokens', {
      user: login.username,
      project: login.tenantId ?? login.tenantName,
    });
    const r = region ?? 'RegionOne';
    return { region: r, image: restOf(opts, 'OpenStack Glance', 'https://glance.invalid/v2', {}) };
  }
  const res = await identity.request<{ token: { catalog?: CatalogEntry[] } }>('POST', '/auth/tokens', {
    what: `logging in as ${login.username}`,
    json: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: login.username, domain, password: login.password } },
        },
        scope: { project: login.tenantId ? { id: login.tenantId } : { name: login.tenantName, domain } },
      },
    },
  });
  const token = res.headers.get('x-subject-token');
  const catalog = res.body.token.catalog ?? [];
  const images = publicEndpoints(catalog, 'image');
  if (!token || images.length === 0) {
    throw new InputError({
      code: 'OPENSTACK_NO_IMAGE_SERVICE',
      message: `Keystone at ${login.authUrl} returned ${token ? 'no image service in the catalog' : 'no token'}`,
      hint: 'check auth_url: it must be the Identity v3 endpoint of a cloud with Glance',
    });
  }
  const regions = [...new Set(images.map((e) => e.region))];
  const chosen = region ?? (regions.length === 1 ? regions[0]! : undefined);
  if (!chosen) {
    throw new InputError({
      code: 'OPENSTACK_REGION_REQUIRED',
      message: `the image service is in several regions (${regions.join(', ')}); which one?`,
      hint: 'pass --region, or set region_name in the profile',
      details: { flag: '--region', known: regions },
    });
  }
  const image = images.find((e) => e.region === chosen);
  if (!image) {
    throw new InputError({
      code: 'OPENSTACK_UNKNOWN_REGION',
      message: `--region ${JSON.stringify(chosen)} has no image service in this cloud's catalog`,
      hint: `use one of: ${regions.join(', ')}`,
      details: { flag: '--region', value: chosen, known: regions },
    });
  }
  const headers = { 'x-auth-token': token };
  const compute = publicEndpoints(catalog, 'compute').find((e) => e.region === chosen);
  return {
    region: chosen,
    image: restOf(
      opts,
      'OpenStack Glance',
      /\/v2(\.\d+)?\/?$/.test(image.url) ? image.url : `${image.url.replace(/\/+$/, '')}/v2`,
      headers,
    ),
    ...(compute ? { compute: restOf(opts, 'OpenStack Nova', compute.url, headers) } : {}),
  };
}

function publicEndpoints(catalog: CatalogEntry[], type: string): { region: string; url: string }[] {
  return catalog
    .filter((c) => c.type === type)
    .flatMap((c) => c.endpoints)
    .filter((e) => e.interface === 'public')
    .map((e) => ({ region: e.region_id ?? e.region ?? '', url: e.url }));
}
