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

/**
 * Start a server on a port picked free a moment before: when another process bound that port in
 * between (the error says "address already in use"), `start` runs again — it picks a new port
 * itself; `attempt` counts from 1 — up to `attempts` times in all. Any other error is final.
 */
export async function retryOnPortClash<T>(start: (attempt: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(attempt);
    } catch (err) {
      if (attempt >= attempts || !/address already in use/i.test((err as Error).message)) throw err;
    }
  }
}
