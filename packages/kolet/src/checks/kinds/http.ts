import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { CheckContext } from '../context.js';
import type { HttpProps } from '../types.js';
import { SystemError, isSet, type ResourceRun } from '../validate-value.js';
import { koletVersion } from '../../version.js';
import { once } from './common.js';

/** goss's default: 5 s for the whole request. */
const DEFAULT_HTTP_TIMEOUT_MS = 5000;
const MAX_REDIRECTS = 10;
const MAX_BODY = 64 * 1024 * 1024;

interface Fetched {
  status: number;
  /** `Name: value` lines, names as Go spells them (Content-Type), sorted */
  headerLines: string;
  body: string;
}

/**
 * Fetch a URL as goss does (Go's http.Client): redirects followed (up to 10) unless
 * no-follow-redirects, TLS checked against the system roots or `ca-file` unless
 * allow-insecure, a client certificate from cert-file/key-file, basic auth from
 * username/password, a proxy from `proxy` or the environment (HTTP(S)_PROXY, NO_PROXY; never
 * for localhost). status, then Headers and Body (goss's capitalised names) as text patterns.
 */
export async function checkHttp(
  run: ResourceRun,
  id: string,
  props: HttpProps,
  ctx: CheckContext,
): Promise<void> {
  const url = props.url ?? id;
  const timeoutMs = props.timeout && props.timeout > 0 ? props.timeout : DEFAULT_HTTP_TIMEOUT_MS;
  const method = (props.method ?? 'GET').toUpperCase() || 'GET';
  const fetched = once(() => fetchUrl(url, method, props, timeoutMs, ctx));
  await run.check('status', props.status, async () => (await fetched()).status);
  run.gateOnFirst();
  if (isSet(props.headers))
    await run.check('Headers', props.headers, async () => (await fetched()).headerLines, { reader: true });
  if (isSet(props.body))
    await run.check('Body', props.body, async () => (await fetched()).body, { reader: true });
}

async function fetchUrl(
  url: string,
  method: string,
  props: HttpProps,
  timeoutMs: number,
  ctx: CheckContext,
): Promise<Fetched> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onAbort = (): void => controller.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const tls = await tlsOptions(props);
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new SystemError(`parse "${url}": invalid URL`);
    }
    let m = method;
    let body: string | undefined = props['request-body'];
    for (let hop = 0; ; hop++) {
      let res: { res: IncomingMessage; body: string };
      try {
        res = await fetchOnce(current, m, body, props, tls, controller.signal, ctx.env);
      } catch (err) {
        const why = controller.signal.aborted
          ? ctx.signal.aborted
            ? 'stopped: the check run timed out'
            : 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
          : err instanceof Error
            ? err.message
            : String(err);
        throw new SystemError(`${goMethodName(m)} "${current.href}": ${why}`);
      }
      const code = res.res.statusCode ?? 0;
      const location = res.res.headers.location;
      if (!props['no-follow-redirects'] && [301, 302, 303, 307, 308].includes(code) && location) {
        if (hop >= MAX_REDIRECTS)
          throw new SystemError(`${goMethodName(m)} "${current.href}": stopped after 10 redirects`);
        current = new URL(location, current);
        if (code === 303 ? m !== 'HEAD' : (code === 301 || code === 302) && m !== 'GET' && m !== 'HEAD') {
          m = 'GET';
          body = undefined;
        }
        continue;
      }
      const lines: string[] = [];
      for (let i = 0; i + 1 < res.res.rawHeaders.length; i += 2)
        lines.push(`${canonicalHeaderName(res.res.rawHeaders[i] ?? '')}: ${res.res.rawHeaders[i + 1]}`);
      lines.sort();
      return { status: code, headerLines: lines.join('\n'), body: res.body };
    }
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

/** How Go's client names a method in its errors: `Get`, `Post`, ... */
function goMethodName(m: string): string {
  return m.charAt(0) + m.slice(1).toLowerCase();
}

/** `content-type` -> `Content-Type`, as Go's CanonicalMIMEHeaderKey spells header names. */
function canonicalHeaderName(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());
}

interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

async function tlsOptions(props: HttpProps): Promise<TlsOptions> {
  const out: TlsOptions = { rejectUnauthorized: !props['allow-insecure'] };
  const read = async (path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new SystemError(
        `open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
      );
    }
  };
  if (props['ca-file']) {
    out.ca = await read(props['ca-file']);
    if (!out.ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new SystemError(`Failed parse root certificate: ${props['ca-file']}`);
  }
  if (props['cert-file'] && props['key-file']) {
    out.cert = await read(props['cert-file']);
    out.key = await read(props['key-file']);
  }
  return out;
}

/** The proxy for a URL: `proxy`, else HTTP_PROXY/HTTPS_PROXY unless NO_PROXY or localhost (Go's rules). */
function proxyFor(url: URL, explicit: string | undefined, env: NodeJS.ProcessEnv): URL | undefined {
  if (explicit) return new URL(explicit.includes('://') ? explicit : `http://${explicit}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return undefined;
  const raw =
    url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!raw) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of noProxy) {
    if (n === '*') return undefined;
    const bare = n.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  return new URL(raw.includes('://') ? raw : `http://${raw}`);
}

function fetchOnce(
  url: URL,
  method: string,
  body: string | undefined,
  props: HttpProps,
  tls: TlsOptions,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv,
): Promise<{ res: IncomingMessage; body: string }> {
  const headers: OutgoingHttpHeaders = {};
  let hostHeader: string | undefined;
  for (const h of props['request-headers'] ?? []) {
    const i = h.indexOf(': ');
    const name = h.slice(0, i);
    const value = h.slice(i + 2);
    if (name.toLowerCase() === 'host') {
      hostHeader ??= value; // goss: only the first Host header sets the request's Host
      continue;
    }
    const prev = headers[name];
    headers[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [String(prev)]), value];
  }
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'user-agent'))
    headers['User-Agent'] = `goss/kolet-${koletVersion}`;
  if (hostHeader) headers.Host = hostHeader;
  if (props.username !== undefined || props.password !== undefined)
    headers.Authorization = `Basic ${Buffer.from(`${props.username ?? ''}:${props.password ?? ''}`).toString('base64')}`;
  if (body !== undefined && body !== '') headers['Content-Length'] = Buffer.byteLength(body);
  headers.Connection = 'close';
  const proxy = proxyFor(url, props.proxy, env);
  const https = url.protocol === 'https:';
  return new Promise((resolveRes, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        if (size < MAX_BODY) chunks.push(b);
        size += b.length;
      });
      res.on('end', () => resolveRes({ res, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    let req;
    if (proxy && !https) {
      // A plain-HTTP request through a proxy names the whole URL.
      req = httpRequest(
        {
          host: proxy.hostname,
          port: proxy.port || 80,
          method,
          path: url.href,
          headers: { ...headers, Host: hostHeader ?? url.host },
          signal,
        },
        onResponse,
      );
    } else {
      const opts = {
        method,
        headers,
        signal,
        ...tls,
        ...(proxy ? { createConnection: tunnel(proxy, url, tls) } : {}),
      };
      req = https ? httpsRequest(url, opts, onResponse) : httpRequest(url, opts, onResponse);
    }
    req.on('error', reject);
    req.end(body);
  });
}

/** An https connection through an HTTP proxy's CONNECT tunnel (Node's async createConnection form). */
function tunnel(
  proxy: URL,
  url: URL,
  tls: TlsOptions,
): (opts: unknown, done: (err: Error | null, socket: Duplex) => void) => undefined {
  return (_opts, done) => {
    const connectReq = httpRequest({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${url.hostname}:${url.port || '443'}`,
    });
    connectReq.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        done(new Error(`proxyconnect tcp: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()), socket);
        return;
      }
      done(null, tlsConnect({ socket, servername: url.hostname, ...tls }));
    });
    connectReq.on('error', (err) => done(err, connectReq.socket as Duplex));
    connectReq.end();
    return undefined;
  };
}
