// A free TCP port on 127.0.0.1 for a test server that must be told its port up front.
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (closed again, so the server under test can bind it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
