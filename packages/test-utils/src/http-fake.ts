// What the local protocol servers (fake-gce, fake-azure, fake-rest-clouds) share: listening on a
// free port of 127.0.0.1 over HTTP or HTTPS, JSON bodies, per-operation call counters with
// injectable throttling, and a throwaway self-signed certificate for the APIs whose SDKs refuse
// plain HTTP (Azure's bearer-token policy does).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A listening server and how to reach and stop it. */
export interface Listening {
  /** http(s)://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Listen on a free port of 127.0.0.1; a handler that throws answers 500 with the message. */
export async function listenOn(handler: Handler, tls?: { key: string; cert: string }): Promise<Listening> {
  const wrapped: RequestListener = (req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: String(err) } });
      else res.destroy();
    });
  };
  const server = tls ? createHttpsServer(tls, wrapped) : createServer(wrapped);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** The request body parsed as JSON ({} when empty). */
export async function readJson<T = Record<string, unknown>>(req: IncomingMessage): Promise<T> {
  const text = (await readBody(req)).toString('utf8');
  return (text ? JSON.parse(text) : {}) as T;
}

/** Answer with a JSON body (or none for undefined). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Calls per operation, and operations told to answer "throttled" the next N times. */
export class CallLog {
  readonly calls = new Map<string, number>();
  readonly throttle = new Map<string, number>();

  /** count a call; true when it is to be throttled */
  count(op: string): boolean {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    const n = this.throttle.get(op) ?? 0;
    if (n <= 0) return false;
    this.throttle.set(op, n - 1);
    return true;
  }

  get(op: string): number {
    return this.calls.get(op) ?? 0;
  }
}

/** A self-signed certificate for 127.0.0.1 (openssl), with the PEM file clients trust via NODE_EXTRA_CA_CERTS. */
export interface TestCert {
  key: string;
  cert: string;
  /** the certificate's PEM file */
  certFile: string;
  remove(): Promise<void>;
}

/** Make a throwaway self-signed certificate for 127.0.0.1 and localhost. */
export async function selfSignedCert(): Promise<TestCert> {
  const dir = await mkdtemp(join(tmpdir(), 'mantle-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return {
    key: await readFile(keyFile, 'utf8'),
    cert: await readFile(certFile, 'utf8'),
    certFile,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
