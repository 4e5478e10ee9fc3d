// A local HTTP server on 127.0.0.1 serving recipe fixtures (upstream release files) from memory.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureServer {
  url: string;
  files: Map<string, Buffer>;
  requests: string[];
  close(): Promise<void>;
}

/** Serve `files` (path → bytes); anything else is 404. */
export async function startFixtureServer(files: Map<string, Buffer>): Promise<FixtureServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res
      .writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Hex sha256 of bytes. */
export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}
