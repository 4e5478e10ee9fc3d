import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { OperationError, PrerequisiteError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { DryRun } from '../cloud/dry-run.js';
import { fetchCause, fetchFailure } from '../cloud/fetch-failure.js';
import { withRetries } from '../cloud/retry.js';
import { sleep } from '../cloud/wait.js';

// A small client of the vSphere Web Services API (SOAP over HTTPS, what ESX's hostd and vCenter
// speak): Node's fetch, fast-xml-parser both ways, the session cookie of Login, faults mapped to
// MantleErrors (a refused login exit 3 naming the profile, never the password), reads retried on a
// busy or dropped connection, and a dry run that sends the reads and records the writes.

/** A managed object reference: `{type: 'VirtualMachine', value: '3'}`. */
export interface MoRef {
  type: string;
  value: string;
}

/** An XML element as the parser gives it: text, attributes `@_x`, children by local name. */
export type XmlNode = Record<string, unknown>;

export interface EsxLogin {
  /** host, host:port or a URL (`https://esx.example/sdk`; http:// only for local test servers) */
  server: string;
  user: string;
  password: string;
}

export interface EsxClientOptions {
  login: EsxLogin;
  /** the credentials' description for errors: `profile "default" of ~/.config/esx.json` */
  profile: string;
  logger?: Logger;
  signal?: AbortSignal;
  dryRun?: DryRun;
  /**
   * Skip the verification of this host's TLS certificate (`--esx-insecure`, `"insecure": true`):
   * most ESX hosts have a self-signed one. Only this client's requests: nothing process-wide.
   */
  insecure?: boolean;
}

/** A fetch of this client's (with its own unverified TLS connections when insecure). */
type Fetch = (url: URL, init: RequestInit) => Promise<Response>;

/** A SOAP fault of the server: its fault type (`InvalidLogin`, `InvalidPowerState`) and message. */
export class EsxFault extends OperationError {
  constructor(
    readonly faultType: string,
    readonly faultMessage: string,
    what: string,
  ) {
    super({
      code: 'ESX_FAULT',
      message: `ESX: ${what} failed: ${faultType}: ${faultMessage}`,
      details: { fault: faultType },
    });
  }
}

interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager?: MoRef;
  sessionManager: MoRef;
  ovfManager?: MoRef;
}

const VIM_NS = 'urn:vim25';
const SOAP_ACTION = 'urn:vim25/6.5';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Element prefixes go (soapenv:Body -> Body); attribute names stay whole, so a property
  // value's `xsi:type` and a reference's `type` do not collide.
  transformTagName: (name) => name.replace(/^.*:/, ''),
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
});

/** A reference as a request element: `<_this type="T">v</_this>`. */
export const ref = (r: MoRef): XmlNode => ({ '@_type': r.type, '#text': r.value });

/** A reference as the parser gives it back. */
export function toRef(node: unknown): MoRef {
  const n = node as { '@_type'?: string; '#text'?: string };
  return { type: n['@_type'] ?? '', value: String(n['#text'] ?? '') };
}

/** One or many children as an array (the parser gives a single child as itself). */
export function many<T = XmlNode>(x: unknown): T[] {
  if (x === undefined || x === null || x === '') return [];
  return (Array.isArray(x) ? x : [x]) as T[];
}

/** The text of an element that may carry attributes (xsi:type). */
export function text(x: unknown): string {
  const v = typeof x === 'object' && x !== null ? (x as { '#text'?: unknown })['#text'] : x;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** The SDK endpoint of a profile's server field. */
export function sdkUrl(server: string): URL {
  const u = new URL(/^https?:\/\//.test(server) ? server : `https://${server}`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/sdk';
  return u;
}

/** One logged-in session with an ESX host or vCenter. */
export class EsxClient {
  private cookie = '';
  content!: ServiceContent;
  readonly url: URL;
  private fetcher: Fetch | undefined;
  private closeFetcher: (() => Promise<void>) | undefined;

  constructor(readonly options: EsxClientOptions) {
    this.url = sdkUrl(options.login.server);
  }

  /** Connect and log in; a refused login is a PrerequisiteError (exit 3) naming the profile. */
  static async connect(options: EsxClientOptions): Promise<EsxClient> {
    const c = new EsxClient(options);
    if (options.insecure && c.url.protocol === 'https:') {
      options.logger?.warn(
        `ESX at ${c.url.host}: its TLS certificate is NOT verified (--esx-insecure or "insecure": true in ${options.profile}): anyone on the network path could pose as the host and read the password`,
      );
      // undici's own fetch with its own Agent: the global fetch stays verifying, for every host.
      const { Agent, fetch: undiciFetch } = await import('undici');
      const agent = new Agent({ connect: { rejectUnauthorized: false } });
      c.fetcher = (url, init) =>
        undiciFetch(url, { ...init, dispatcher: agent } as Parameters<typeof undiciFetch>[1]);
      c.closeFetcher = () => agent.close();
    }
    const sc = await c.call(
      'RetrieveServiceContent',
      { type: 'ServiceInstance', value: 'ServiceInstance' },
      {},
      {
        what: 'reading the service content',
      },
    );
    const get = (k: string): MoRef | undefined => (sc[k] ? toRef(sc[k]) : undefined);
    c.content = {
      rootFolder: get('rootFolder')!,
      propertyCollector: get('propertyCollector')!,
      sessionManager: get('sessionManager')!,
      ...(get('viewManager') ? { viewManager: get('viewManager')! } : {}),
      ...(get('ovfManager') ? { ovfManager: get('ovfManager')! } : {}),
    };
    await c.call(
      'Login',
      c.content.sessionManager,
      { userName: options.login.user, password: options.login.password },
      { what: `logging in as ${options.login.user}` },
    );
    return c;
  }

  /**
   * The same session without the abort signal: for the cleanup of what an interrupted command
   * left (abort the lease, remove the half-made VM), which must still reach the host.
   */
  detached(): EsxClient {
    const { signal: _signal, ...rest } = this.options;
    const d = new EsxClient(rest);
    d.cookie = this.cookie;
    d.content = this.content;
    d.fetcher = this.fetcher;
    return d;
  }

  /** Log out (best effort: the session times out on the server anyway). */
  async logout(): Promise<void> {
    if (this.cookie) {
      await this.call(
        'Logout',
        this.content.sessionManager,
        {},
        { what: 'logging out', ignoreAbort: true },
      ).catch(() => {});
      this.cookie = '';
    }
    await this.closeFetcher?.().catch(() => {});
    this.closeFetcher = undefined;
  }

  /** fetch for this host: lease uploads go through it too, with the same TLS settings. */
  fetch(url: URL, init: RequestInit): Promise<Response> {
    return this.fetcher ? this.fetcher(url, init) : fetch(url, init);
  }

  /**
   * Call one method on a managed object. `params` are the method's parameters in the WSDL's order.
   * Writes (`write: true`) are recorded, not sent, in a dry run, and answered with `dryRunAnswer`.
   */
  async call(
    method: string,
    self: MoRef,
    params: XmlNode,
    opts: {
      what: string;
      write?: boolean;
      ignoreAbort?: boolean;
      dryRunAnswer?: XmlNode;
      /** what a dry run shows of the parameters (default: all of them, the password masked) */
      dryRunInput?: Record<string, unknown>;
      retry?: boolean;
    },
  ): Promise<XmlNode> {
    const o = this.options;
    if (o.dryRun && opts.write) {
      o.dryRun.record('ESX', method, {
        this: `${self.type}:${self.value}`,
        ...(opts.dryRunInput ?? redact(params)),
      });
      return opts.dryRunAnswer ?? {};
    }
    const signal = opts.ignoreAbort ? undefined : o.signal;
    const body: string = builder.build({
      'soapenv:Envelope': {
        '@_xmlns:soapenv': 'http://schemas.xmlsoap.org/soap/envelope/',
        '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
        '@_xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
        'soapenv:Body': { [method]: { '@_xmlns': VIM_NS, _this: ref(self), ...params } },
      },
    });
    const once = (): Promise<XmlNode> => this.post(method, body, opts.what, signal);
    // Reads are safe to repeat; writes are sent once (a lost answer must not create twice).
    if (opts.write || opts.retry === false) return once();
    return withRetries(once, {
      attempts: 5,
      baseMs: 500,
      retryable: (err) => err instanceof Transient,
      ...(signal ? { signal } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      what: opts.what,
    }).catch((err: unknown) => {
      if (err instanceof Transient)
        throw new OperationError({
          code: 'ESX_UNAVAILABLE',
          message: `ESX at ${this.url.host}: ${opts.what} failed: ${err.message}`,
          hint: 'the server is busy or unreachable; retry later',
        });
      throw err;
    });
  }

  /** A request with this session's cookie to another URL of the host (lease uploads). */
  authHeaders(): Record<string, string> {
    return this.cookie ? { cookie: this.cookie } : {};
  }

  /** Some properties of one object, by property path (`name`, `runtime.powerState`, `info`). */
  async properties(obj: MoRef, paths: string[], what: string): Promise<Record<string, unknown>> {
    const r = await this.retrieve(
      { propSet: { type: obj.type, pathSet: paths }, objectSet: { obj: ref(obj), skip: 'false' } },
      what,
    );
    return r[0]?.props ?? {};
  }

  /** RetrievePropertiesEx with every page (ContinueRetrievePropertiesEx). */
  async retrieve(
    specSet: XmlNode,
    what: string,
  ): Promise<{ obj: MoRef; props: Record<string, unknown>; missing: string[] }[]> {
    const out: { obj: MoRef; props: Record<string, unknown>; missing: string[] }[] = [];
    let res = await this.call(
      'RetrievePropertiesEx',
      this.content.propertyCollector,
      { specSet, options: {} },
      {
        what,
      },
    );
    for (;;) {
      for (const o of many(res.objects)) {
        const props: Record<string, unknown> = {};
        for (const p of many(o.propSet)) props[text(p.name)] = p.val;
        out.push({ obj: toRef(o.obj), props, missing: many(o.missingSet).map((m) => text(m.path)) });
      }
      const token = text(res.token);
      if (!token) return out;
      res = await this.call(
        'ContinueRetrievePropertiesEx',
        this.content.propertyCollector,
        { token },
        { what },
      );
    }
  }

  /** Wait for a task to end (polled with backoff); its error is an EsxFault. Returns its result. */
  async waitTask(task: MoRef, what: string): Promise<unknown> {
    if (this.options.dryRun && task.value === 'dry-run') return undefined;
    let delay = 100;
    for (;;) {
      const { info } = (await this.properties(task, ['info'], what)) as { info?: XmlNode };
      const state = text(info?.state);
      if (state === 'success') return info?.result;
      if (state === 'error') {
        const e = info?.error as XmlNode | undefined;
        throw new EsxFault(faultName(e?.fault), text(e?.localizedMessage), what);
      }
      await sleep(delay, this.options.signal);
      delay = Math.min(delay * 2, 2000);
    }
  }

  private async post(
    method: string,
    body: string,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<XmlNode> {
    let res: Response;
    try {
      res = await this.fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: SOAP_ACTION,
          ...this.authHeaders(),
        },
        body,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      const final = fetchFailure(err, signal, {
        codePrefix: 'ESX',
        service: 'ESX',
        origin: this.url.host,
        what,
        hint: `check the server field of ${this.options.profile} and the network`,
      });
      if (final) throw final;
      const cause = fetchCause(err);
      if (cause?.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(cause.code)) {
        throw new PrerequisiteError({
          code: 'ESX_TLS',
          message: `ESX at ${this.url.host}: its TLS certificate is not trusted (${cause.code})`,
          hint: `trust the host's certificate (NODE_EXTRA_CA_CERTS=/path/to/esx-ca.pem), or skip its verification for this host: --esx-insecure or "insecure": true in ${this.options.profile}`,
          details: { server: this.url.host },
        });
      }
      throw new Transient(cause?.message ?? (err as Error).message);
    }
    const cookie = res.headers.get('set-cookie');
    if (cookie) this.cookie = cookie.split(';')[0]!;
    const xml = await res.text();
    if (res.status === 503 || res.status === 502 || res.status === 504)
      throw new Transient(`HTTP ${res.status}`);
    let doc: XmlNode;
    try {
      doc = parser.parse(xml) as XmlNode;
    } catch {
      doc = {};
    }
    const envBody = ((doc.Envelope as XmlNode | undefined)?.Body ?? undefined) as XmlNode | undefined;
    if (!envBody) {
      throw new OperationError({
        code: 'ESX_BAD_ANSWER',
        message: `ESX at ${this.url.host}: ${what}: not a SOAP answer (HTTP ${res.status}): ${xml.slice(0, 200)}`,
        hint: 'check that the server field names an ESX host or vCenter (its /sdk endpoint)',
      });
    }
    if (envBody.Fault) throw this.fault(envBody.Fault as XmlNode, what);
    const response = envBody[`${method}Response`] as XmlNode | undefined;
    const rv = response?.returnval;
    return (typeof rv === 'object' && rv !== null ? rv : { '#text': rv ?? '' }) as XmlNode;
  }

  private fault(f: XmlNode, what: string): Error {
    const detail = f.detail as XmlNode | undefined;
    const type = faultName(
      detail ? Object.values(detail)[0] : undefined,
      detail ? Object.keys(detail)[0] : undefined,
    );
    const message = text(f.faultstring);
    if (type === 'InvalidLogin' || type === 'NotAuthenticated' || type === 'NoPermission') {
      return new PrerequisiteError({
        code: 'ESX_AUTH',
        message: `ESX at ${this.url.host} refused ${what} for ${this.options.profile}: ${message || type}`,
        hint: `check the user and password of ${this.options.profile}`,
        details: { fault: type, server: this.url.host },
      });
    }
    return new EsxFault(type, message, what);
  }
}

class Transient extends Error {}

/** An element's xsi:type (whatever prefix the server bound the schema-instance namespace to). */
export function xsiType(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const k = Object.keys(node).find((a) => /^@_[^:]+:type$/.test(a));
  return k ? String((node as Record<string, unknown>)[k]).replace(/^.*:/, '') : undefined;
}

/** A fault's type: its xsi:type, else its element name without the `Fault` suffix. */
export function faultName(node: unknown, element?: string): string {
  const t = xsiType(node);
  if (t) return t;
  return (element ?? 'Fault').replace(/Fault$/, '') || 'Fault';
}

function redact(params: XmlNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = k === 'password' ? '<secret>' : v;
  return out;
}
