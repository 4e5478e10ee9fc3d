import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CheckContext } from '../context.js';
import { expectEqual, expectPatterns, failed, type Outcome } from '../outcome.js';
import type { HttpProps } from '../types.js';

export const DEFAULT_HTTP_TIMEOUT_MS = 5000;
const MAX_REDIRECTS = 10;
const MAX_BODY = 10 * 1024 * 1024;

interface Fetched {
  status: number;
  headerLines: string;
  body: string;
}

/** Fetch a URL and check status, body and headers (`Name: value` lines) against patterns. */
export async function checkHttp(id: string, props: HttpProps, ctx: CheckContext): Promise<Outcome[]> {
  const timeoutMs = props.timeout ?? DEFAULT_HTTP_TIMEOUT_MS;
  const wanted: [string, unknown][] = [
    ['status', props.status],
    ['body', props.body?.map((p) => p.source)],
    ['headers', props.headers?.map((p) => p.source)],
  ];
  let res: Fetched;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  const onAbort = (): void => controller.abort(new Error('stopped: the check run timed out'));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    res = await fetchFollowing(new URL(id), props, controller.signal);
  } catch (err) {
    const why = controller.signal.aborted
      ? String((controller.signal.reason as Error).message)
      : err instanceof Error
        ? err.message
        : String(err);
    return wanted.filter(([, v]) => v !== undefined).map(([k, v]) => failed(k, v, null, `error: ${why}`));
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
  const out: Outcome[] = [];
  if (props.status !== undefined) out.push(expectEqual('status', props.status, res.status));
  if (props.body) out.push(expectPatterns('body', props.body, res.body));
  if (props.headers) out.push(expectPatterns('headers', props.headers, res.headerLines));
  return out;
}

async function fetchFollowing(url: URL, props: HttpProps, signal: AbortSignal): Promise<Fetched> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const { res, body } = await fetchOnce(current, props, signal);
    const location = res.headers.location;
    const redirect =
      res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode) && location;
    if (!redirect || props['no-follow-redirects'] || hop >= MAX_REDIRECTS) {
      const lines: string[] = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
        lines.push(`${canonicalHeaderName(res.rawHeaders[i] ?? '')}: ${res.rawHeaders[i + 1]}`);
      return { status: res.statusCode ?? 0, headerLines: lines.join('\n'), body };
    }
    current = new URL(location, current);
  }
}

/** `content-type` -> `Content-Type`, as Go (and so goss users) spell header names. */
function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());
}

function fetchOnce(
  url: URL,
  props: HttpProps,
  signal: AbortSignal,
): Promise<{ res: IncomingMessage; body: string }> {
  const headers: Record<string, string> = {};
  for (const h of props['request-headers'] ?? []) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolveRes, reject) => {
    const req = request(
      url,
      { method: props.method ?? 'GET', headers, signal, rejectUnauthorized: !props['allow-insecure'] },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (b: Buffer) => {
          if (size < MAX_BODY) chunks.push(b);
          size += b.length;
        });
        res.on('end', () => resolveRes({ res, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(props['request-body']);
  });
}
