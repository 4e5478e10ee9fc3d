import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CommandContext } from '@mantle/core/cli';
import { InputError } from '@mantle/core/errors';
import type { PackageManager } from '../checks/context.js';
import { CHECK_FORMATS, formatReport, type CheckFormat } from '../checks/format/format-report.js';
import { PrometheusCounters, prometheusText, recordPrometheus } from '../checks/format/machine-outputs.js';
import { loadCheckSpec } from '../checks/load-spec.js';
import { runChecks } from '../checks/run-checks.js';
import type { CheckReport, CheckSpec } from '../checks/types.js';
import { loadTemplateVars } from '../checks/vars.js';
import { readAllStdin } from './check-command.js';

export interface ServeCommandOptions {
  spec: string;
  format: CheckFormat;
  formatOptions?: readonly string[];
  /** goss's --listen-addr: `[ip]:port` (default :8080) */
  listenAddr: string;
  /** the health endpoint (default /healthz) */
  endpoint: string;
  /** how long results are reused (default 5 s) */
  cacheMs: number;
  maxConcurrent?: number | undefined;
  timeoutMs?: number | undefined;
  vars?: readonly string[] | undefined;
  varsInline?: string | undefined;
  packageManager?: PackageManager | undefined;
  readStdin?: () => Promise<string>;
  /** told the address once listening (tests pick port 0) */
  onListening?: (address: AddressInfo) => void;
}

const MEDIA_PREFIX = 'application/vnd.goss-';

/** `[ip]:port` → host and port; `:8080` listens on every address. */
export function parseListenAddr(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(addr.trim());
  if (!m || Number(m[3]) > 65535)
    throw new InputError({
      code: 'BAD_LISTEN_ADDR',
      message: `--listen-addr ${addr}: expected [ip]:port such as :8080 or 127.0.0.1:8080`,
      hint: 'give the address to listen on, e.g. --listen-addr :8080',
    });
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? undefined : host, port: Number(m[3]) };
}

/**
 * goss's Accept negotiation: every Accept value is looked at in turn, the last one decides
 * (`application/vnd.goss-FORMAT`, or `application/json` / `text/json` for json); when it names
 * no format, the server's --format answers.
 */
export function negotiateFormat(accept: readonly string[]): CheckFormat | undefined {
  let chosen: CheckFormat | undefined;
  for (const raw of accept) {
    const a = raw.trim();
    let name = '';
    if (a.startsWith(MEDIA_PREFIX)) name = a.slice(MEDIA_PREFIX.length);
    else if (a.toLowerCase() === 'application/json' || a.toLowerCase() === 'text/json') name = 'json';
    chosen = (CHECK_FORMATS as readonly string[]).includes(name) ? (name as CheckFormat) : undefined;
  }
  return chosen;
}

/** The Content-Type of a format's response. */
export function contentType(format: CheckFormat): string {
  if (format === 'json') return 'application/json';
  if (format === 'prometheus') return 'text/plain; version=0.0.4';
  return `${MEDIA_PREFIX}${format}`;
}

/**
 * `kolet serve SPEC` (goss serve): validate the spec once, then answer the health endpoint with
 * the checks' report — 200 when they pass, 503 when one fails — in the server's format or the
 * one the request's Accept header names. Results are cached for --cache; requests that arrive
 * while a run is going wait for it. /metrics has goss's prometheus counters. Runs until
 * interrupted (exit 130).
 */
export async function serveCommand(opts: ServeCommandOptions, ctx: CommandContext): Promise<void> {
  const { host, port } = parseListenAddr(opts.listenAddr);
  const vars = await loadTemplateVars({ file: opts.vars, inline: opts.varsInline, cwd: ctx.cwd });
  const spec: CheckSpec = await loadCheckSpec(opts.spec, {
    cwd: ctx.cwd,
    stdin: opts.readStdin ?? readAllStdin,
    template: { vars, env: ctx.env, cwd: ctx.cwd },
  });
  for (const w of spec.warnings ?? []) ctx.logger.warn(w);
  const counters = new PrometheusCounters();
  let cached: { report: CheckReport; at: number } | undefined;
  let running: Promise<CheckReport> | undefined;
  const results = async (): Promise<CheckReport> => {
    if (cached && Date.now() - cached.at < opts.cacheMs) return cached.report;
    if (!running) {
      ctx.logger.debug(`stale cache, running the checks`);
      running = runChecks(spec, {
        signal: ctx.signal,
        env: ctx.env,
        cwd: ctx.cwd,
        timeoutMs: opts.timeoutMs,
        concurrency: opts.maxConcurrent,
        packageManager: opts.packageManager,
      })
        .then((report) => {
          cached = { report, at: Date.now() };
          // Counters count runs, as goss's registry does, not requests answered from the cache.
          recordPrometheus(report, (opts.formatOptions ?? []).includes('verbose'), counters);
          return report;
        })
        .finally(() => {
          running = undefined;
        });
    }
    return running;
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/metrics') {
      await results();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(prometheusText(counters));
      return;
    }
    if (path !== opts.endpoint) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const format = negotiateFormat(req.headersDistinct.accept ?? []) ?? opts.format;
    const report = await results();
    const out =
      format === 'prometheus'
        ? { text: prometheusText(counters), exitCode: report.summary.failed > 0 ? 1 : 0 }
        : formatReport(report, format, { options: opts.formatOptions ?? [] });
    const status = out.exitCode === 0 ? 200 : 503;
    res.writeHead(status, { 'Content-Type': contentType(format) }).end(out.text);
    ctx.logger.debug(`${req.socket.remoteAddress ?? '?'}: status ${status}`);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      ctx.logger.error(`health check failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new InputError({
          code: 'LISTEN_FAILED',
          message: `--listen-addr ${opts.listenAddr}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`,
          hint: 'give another address with --listen-addr',
          cause: err,
        }),
      ),
    );
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  ctx.logger.info(
    `Starting to listen on: ${opts.listenAddr} (port ${address.port}), endpoint ${opts.endpoint}`,
  );
  opts.onListening?.(address);
  await new Promise<void>((done) => {
    if (ctx.signal.aborted) done();
    else ctx.signal.addEventListener('abort', () => done(), { once: true });
  });
  await new Promise<void>((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}
