// A minimal client of podman's libpod REST API (docs.podman.io, "Reference → REST API") over its
// unix socket, from node:http: JSON requests, and the attach stream (an HTTP upgrade carrying
// Docker's multiplexed framing: 8-byte headers [stream, 0, 0, 0, size32be] before each chunk of
// stdout (1) or stderr (2); what the client writes goes to the container's stdin unframed).
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** The API version in the paths: podman 4 serves v4.0.0 and every later 4.x; 5 keeps the routes. */
const BASE = '/v4.0.0/libpod';

export interface ApiResponse {
  status: number;
  body: string;
}

export class PodmanApi {
  constructor(readonly socketPath: string) {}

  /** One request; the body (JSON) read whole. Rejects only when the socket cannot be reached. */
  call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path: BASE + path,
          headers: payload ? { 'content-type': 'application/json' } : {},
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * A request nobody waits for the answer of: resolves once it was handed to the kernel, and
   * its connection no longer keeps the process alive (the service carries it out after the
   * client is gone: a launcher's last request, the removal of its container).
   */
  send(method: string, path: string): Promise<void> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socketPath, method, path: BASE + path });
      req.on('response', (res: IncomingMessage) => res.resume());
      req.on('error', () => resolve());
      req.on('finish', () => {
        req.socket?.unref();
        resolve();
      });
      req.end();
    });
  }

  /**
   * Attach to a container's stdin/stdout/stderr (before its start: attaching first is what
   * makes no early output get lost). Resolves with the raw socket once the upgrade is done.
   */
  attach(id: string): Promise<{ socket: Socket; head: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        method: 'POST',
        path: `${BASE}/containers/${id}/attach?stdin=true&stdout=true&stderr=true&stream=true`,
        headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
      });
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => resolve({ socket, head }));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          reject(
            new Error(
              `attach answered ${res.statusCode}: ${errorMessage(Buffer.concat(chunks).toString('utf8'))}`,
            ),
          ),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }
}

/** The `message` of a libpod error body (or the body itself). */
export function errorMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON
  }
  return body.trim();
}

/**
 * Split the multiplexed attach stream into stdout and stderr. Returns a feeder for the socket's
 * data; a frame split across reads is kept until it is whole.
 */
export function demultiplexer(
  out: (chunk: Buffer) => void,
  err: (chunk: Buffer) => void,
): (data: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (data) => {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const chunk = pending.subarray(8, 8 + size);
      if (pending[0] === 2) err(chunk);
      else out(chunk);
      pending = pending.subarray(8 + size);
    }
  };
}
