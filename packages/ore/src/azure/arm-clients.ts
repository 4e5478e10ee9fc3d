import { request as httpsRequest, Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { InputError, OperationError, PrerequisiteError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { NetworkManagementClient } from '@azure/arm-network';
import type { DryRun } from '../cloud/dry-run.js';

// The Azure Resource Manager client ore uses (@azure/arm-compute, imported on first use), made
// from a service principal (an SDK auth file or the AZURE_* variables) for one subscription. The
// bearer token comes from the identity platform's OAuth2 client-credentials grant, sent to the
// auth file's activeDirectoryEndpointUrl (sovereign clouds, local servers in tests) with the
// scope of its resourceManagerEndpointUrl: the one documented request, so @azure/identity (and
// MSAL) are not needed. The SDK retries throttling (429 + Retry-After) itself; long-running
// operations are polled as it does (Azure-AsyncOperation, Location), every `pollMs`.

/** The service principal fields the client uses (core's AzureCredentials has them). */
export interface AzurePrincipal {
  clientId: string;
  clientSecret: string;
  tenantId: string;
  activeDirectoryEndpointUrl?: string;
  resourceManagerEndpointUrl?: string;
}

export interface AzureArmOptions {
  subscriptionId: string;
  /** absent only in dry runs */
  credentials?: AzurePrincipal;
  /** where the credentials came from (file or environment), named when Azure refuses them */
  profile?: string;
  /** an extra trusted CA certificate (PEM) for the endpoints, e.g. a local test server's */
  ca?: string;
  dryRun?: DryRun;
  logger?: Logger;
  /** wait between polls of a long-running operation (ms, default 2000: the SDK's) */
  pollMs?: number;
  signal?: AbortSignal;
}

/** One subscription's Resource Manager client, made on first use. */
export interface AzureArm {
  subscriptionId: string;
  profile: string;
  options: AzureArmOptions;
  /** `{updateIntervalInMs, abortSignal}` for the SDK's begin…AndWait calls */
  poll: { updateIntervalInMs?: number; abortSignal?: AbortSignal };
  /**
   * One ARM call: recorded and answered `dry` in a dry run, else `fn` with the client, its errors
   * turned into MantleErrors (`what` names the call in messages).
   */
  call<T>(
    what: string,
    input: Record<string, unknown>,
    fn: (c: ComputeManagementClient) => Promise<T>,
    dry: T,
  ): Promise<T>;
  /** a GET that answers undefined for "not found" (and in a dry run) */
  find<T>(
    what: string,
    input: Record<string, unknown>,
    fn: (c: ComputeManagementClient) => Promise<T>,
  ): Promise<T | undefined>;
  /** the same for Microsoft.Network (vnets, NICs, public IPs), its client also made on first use */
  net: {
    call<T>(
      what: string,
      input: Record<string, unknown>,
      fn: (c: NetworkManagementClient) => Promise<T>,
      dry: T,
    ): Promise<T>;
    find<T>(
      what: string,
      input: Record<string, unknown>,
      fn: (c: NetworkManagementClient) => Promise<T>,
    ): Promise<T | undefined>;
  };
  /** GET a URL outside ARM (a SAS blob URL), with the same trusted CAs */
  getText(url: string): Promise<{ status: number; body: string }>;
}

const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
const DEFAULT_ARM = 'https://management.azure.com';

/** A TokenCredential (as @azure/core-auth defines it) doing the client-credentials grant. */
function clientSecretCredential(p: AzurePrincipal, profile: string, agent?: Agent) {
  const authority = (p.activeDirectoryEndpointUrl ?? DEFAULT_AUTHORITY).replace(/\/+$/, '');
  return {
    async getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }> {
      const scope = (Array.isArray(scopes) ? scopes : [scopes]).join(' ');
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: p.clientId,
        client_secret: p.clientSecret,
        scope,
      }).toString();
      const url = new URL(`${authority}/${encodeURIComponent(p.tenantId)}/oauth2/v2.0/token`);
      const { status, body } = await httpsText(url, { method: 'POST', form, agent }).catch((err: Error) => {
        throw new PrerequisiteError({
          code: 'AZURE_AUTH_UNREACHABLE',
          message: `cannot reach the identity platform at ${url.origin}: ${err.message}`,
          hint: 'check the network, or activeDirectoryEndpointUrl of the credentials file',
          cause: err,
        });
      });
      let json: { access_token?: string; expires_in?: number; error?: string; error_description?: string } =
        {};
      try {
        json = JSON.parse(body) as typeof json;
      } catch {
        // not JSON: reported below with the status
      }
      if (status !== 200 || !json.access_token)
        throw new PrerequisiteError({
          code: 'AZURE_AUTH',
          message: `the identity platform refused the service principal ${p.clientId} of ${profile} (tenant ${p.tenantId}): ${json.error_description?.split('\n')[0] ?? json.error ?? `HTTP ${status}`}`,
          hint: 'check clientId, clientSecret and tenantId of the credentials (ore profiles list -p azure); --azure-config-file picks another file',
          details: { profile, status, error: json.error },
        });
      return { token: json.access_token, expiresOnTimestamp: Date.now() + (json.expires_in ?? 3600) * 1000 };
    },
  };
}

/** One HTTPS request answered as text (the token endpoint, SAS blob URLs), through `agent` if given. */
function httpsText(
  url: URL,
  opts: { method: 'GET' | 'POST'; form?: string; agent?: Agent | undefined },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: opts.method,
        headers:
          opts.form !== undefined
            ? {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(opts.form),
              }
            : {},
        ...(opts.agent ? { agent: opts.agent } : {}),
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.form);
  });
}

interface RestErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  message?: string;
}

/** true for ARM's "does not exist" answers (404). */
export function isArmNotFound(err: unknown): boolean {
  return (err as RestErrorLike)?.statusCode === 404;
}

/** Turn an SDK error into a MantleError: refused credentials exit 3, an unknown resource group exit 2. */
export function armError(
  err: unknown,
  ctx: { arm: Pick<AzureArm, 'profile' | 'subscriptionId'>; what: string; resourceGroup?: string },
): Error {
  if (err instanceof InputError || err instanceof PrerequisiteError || err instanceof OperationError)
    return err;
  const e = (err ?? {}) as RestErrorLike;
  if (e.name === 'AbortError') return err as Error;
  const message = (e.message ?? String(err)).split('\n')[0]!;
  const { profile, subscriptionId } = ctx.arm;
  if (e.statusCode === 401 || e.statusCode === 403)
    return new PrerequisiteError({
      code: 'AZURE_AUTH',
      message: `Azure refused ${ctx.what} for the service principal of ${profile} in subscription ${subscriptionId}: ${message}`,
      hint: "check the principal's role assignments in the subscription; --azure-config-file picks another credentials file",
      cause: err,
      details: { profile, subscription: subscriptionId, status: e.statusCode, armCode: e.code },
    });
  if (e.code === 'ResourceGroupNotFound' || e.code === 'SubscriptionNotFound')
    return new InputError({
      code:
        e.code === 'ResourceGroupNotFound' ? 'AZURE_UNKNOWN_RESOURCE_GROUP' : 'AZURE_UNKNOWN_SUBSCRIPTION',
      message: `${ctx.what}: ${message}`,
      hint:
        e.code === 'ResourceGroupNotFound'
          ? `create it (az group create -n ${ctx.resourceGroup ?? 'NAME'} -l LOCATION) or pass another --resource-group`
          : 'pick the subscription with --azure-profile (az account list lists them)',
      cause: err,
      details: {
        flag: e.code === 'ResourceGroupNotFound' ? '--resource-group' : '--azure-profile',
        armCode: e.code,
      },
    });
  // Quota refusals are final until someone raises the quota: exit 3, so a run stops creating.
  if ((e.code === 'OperationNotAllowed' || e.code === 'QuotaExceeded') && /quota/i.test(message))
    return new PrerequisiteError({
      code: 'AZURE_QUOTA',
      message: `${ctx.what}: ${message}`,
      hint: 'request a quota increase for the subscription and location (portal: Usage + quotas), or use a smaller size or fewer machines at once',
      cause: err,
      details: { subscription: subscriptionId, armCode: e.code },
    });
  return new OperationError({
    code: e.statusCode === 429 ? 'AZURE_THROTTLED' : 'AZURE_REQUEST_FAILED',
    message: `${ctx.what} failed${e.code ? ` (${e.code})` : ''}: ${message}`,
    ...(e.statusCode === 429 ? { hint: 'the subscription is over its request rate; retry later' } : {}),
    cause: err,
    details: {
      subscription: subscriptionId,
      ...(e.statusCode ? { status: e.statusCode } : {}),
      ...(e.code ? { armCode: e.code } : {}),
    },
  });
}

/** Make the client (nothing is loaded or contacted until the first call). */
export function azureArm(opts: AzureArmOptions): AzureArm {
  const profile = opts.profile ?? 'default';
  // an extra CA is trusted besides the usual roots (an agent's `ca` replaces them)
  const agent = opts.ca ? new Agent({ ca: [...rootCertificates, opts.ca], keepAlive: true }) : undefined;
  // Both clients share the credential, endpoint and agent; each SDK is imported on first use.
  const clientOptions = (): {
    credential: ReturnType<typeof clientSecretCredential>;
    endpoint: string;
  } & Record<string, unknown> => {
    if (!opts.credentials)
      throw new PrerequisiteError({
        code: 'AZURE_NO_CREDENTIALS',
        message: 'no Azure credentials',
        hint: 'set AZURE_AUTH_LOCATION or pass --azure-config-file',
      });
    const endpoint = (opts.credentials.resourceManagerEndpointUrl ?? DEFAULT_ARM).replace(/\/+$/, '');
    return {
      credential: clientSecretCredential(opts.credentials, profile, agent),
      endpoint,
      credentialScopes: [`${endpoint}/.default`],
      retryOptions: { maxRetries: 6 },
      ...(agent ? { agent } : {}),
    };
  };
  let made: Promise<ComputeManagementClient> | undefined;
  const client = (): Promise<ComputeManagementClient> =>
    (made ??= (async () => {
      const { credential, ...o } = clientOptions();
      const { ComputeManagementClient } = await import('@azure/arm-compute');
      return new ComputeManagementClient(credential, opts.subscriptionId, o);
    })());
  let madeNet: Promise<NetworkManagementClient> | undefined;
  const netClient = (): Promise<NetworkManagementClient> =>
    (madeNet ??= (async () => {
      const { credential, ...o } = clientOptions();
      const { NetworkManagementClient } = await import('@azure/arm-network');
      return new NetworkManagementClient(credential, opts.subscriptionId, o);
    })());
  // one call: recorded in a dry run, else sent with its errors mapped (`missing` ones answered by `dry`)
  const send = async <C, T, D>(
    get: () => Promise<C>,
    what: string,
    input: Record<string, unknown>,
    fn: (c: C) => Promise<T>,
    dry: () => D,
    missing?: (err: unknown) => boolean,
  ): Promise<T | D> => {
    if (opts.dryRun) {
      opts.dryRun.record('ARM', what, input);
      return dry();
    }
    try {
      return await fn(await get());
    } catch (err) {
      if (missing?.(err)) return dry();
      const group = typeof input.resourceGroup === 'string' ? { resourceGroup: input.resourceGroup } : {};
      throw armError(err, { arm, what, ...group });
    }
  };
  // a missing resource group is the caller's mistake, not a missing resource
  const notFound = (err: unknown): boolean =>
    isArmNotFound(err) && (err as RestErrorLike).code !== 'ResourceGroupNotFound';
  const arm: AzureArm = {
    subscriptionId: opts.subscriptionId,
    profile,
    options: opts,
    poll: {
      ...(opts.pollMs !== undefined ? { updateIntervalInMs: opts.pollMs } : {}),
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    },
    getText: (url) => httpsText(new URL(url), { method: 'GET', agent }),
    call: (what, input, fn, dry) => send(client, what, input, fn, () => dry),
    find: (what, input, fn) => send(client, what, input, fn, () => undefined, notFound),
    net: {
      call: (what, input, fn, dry) => send(netClient, what, input, fn, () => dry),
      find: (what, input, fn) => send(netClient, what, input, fn, () => undefined, notFound),
    },
  };
  return arm;
}

/** An Azure resource group name (1-90 of letters, digits, _ . - ( ), not ending in .); else exit 2. */
export function checkResourceGroupName(name: string, flag = '--resource-group'): string {
  if (/^[-\w.()]{0,89}[-\w()]$/.test(name)) return name;
  throw new InputError({
    code: 'AZURE_BAD_NAME',
    message: `${flag} ${JSON.stringify(name)} is not a valid resource group name`,
    hint: 'use 1 to 90 letters, digits, _ . - ( ), not ending with .',
    details: { flag, value: name },
  });
}

/** The tags ore puts on what it makes (gc finds them by CreatedBy, ages them by CreatedAt). */
export function mantleTags(extra: Record<string, string> = {}, now = new Date()): Record<string, string> {
  return { CreatedBy: 'mantle', CreatedAt: now.toISOString(), ...extra };
}

/** Whether a resource's tags include every one of `wanted` (the listings' tag filter). */
export function hasTags(tags: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => tags?.[k] === v);
}
