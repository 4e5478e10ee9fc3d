// A static HTTP server over a directory for tests: GET/HEAD with Range, `dir/` served as
// `dir/index.html`, every request recorded, and a one-shot "drop the connection after N bytes".
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface HttpFiles {
  /** http://127.0.0.1:PORT/ */
  url: string;
  requests: { method: string; path: string; range?: string; status: number }[];
  /** the next response for a path ending in `path` sends `after` body bytes, then destroys the socket */
  dropNext?: { path: string; after: number };
  close(): Promise<void>;
}

/** Serve `root` on a free port of 127.0.0.1. */
export async function serveFiles(root: string): Promise<HttpFiles> {
  const handle: HttpFiles = { url: '', requests: [], close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://x');
      let rel = normalize(decodeURIComponent(u.pathname)).replace(/^\/+/, '');
      if (rel.startsWith('..')) rel = '';
      if (rel === '' || rel.endsWith('/')) rel += 'index.html';
      const rec = {
        method: req.method ?? '',
        path: u.pathname,
        ...(req.headers.range ? { range: req.headers.range } : {}),
        status: 0,
      };
      handle.requests.push(rec);
      const file = join(root, rel);
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) {
        rec.status = 404;
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
      }
      const type = rel.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/octet-stream';
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      let start = 0;
      if (m) {
        start = Number(m[1]);
        if (start >= st.size) {
          rec.status = 416;
          res.writeHead(416, { 'Content-Range': `bytes */${st.size}` }).end();
          return;
        }
        rec.status = 206;
        res.writeHead(206, {
          'Content-Type': type,
          'Content-Length': st.size - start,
          'Content-Range': `bytes ${start}-${st.size - 1}/${st.size}`,
        });
      } else {
        rec.status = 200;
        res.writeHead(200, { 'Content-Type': type, 'Content-Length': st.size, 'Accept-Ranges': 'bytes' });
      }
      if (req.method === 'HEAD') return void res.end();
      const drop =
        handle.dropNext && u.pathname.endsWith(handle.dropNext.path) ? handle.dropNext.after : undefined;
      if (drop !== undefined) handle.dropNext = undefined;
      const body = createReadStream(file, {
        start,
        ...(drop !== undefined ? { end: start + drop - 1 } : {}),
      });
      if (drop !== undefined) {
        body.on('end', () => res.destroy());
        body.on('data', (c) => res.write(c));
      } else body.pipe(res);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  handle.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  handle.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return handle;
}
