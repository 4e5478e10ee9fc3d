import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * Free loopback ports, found by binding port 0 and closing again. Another process may take the
 * port before qemu binds it; callers detect qemu's bind failure and retry with fresh ports.
 */

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no TCP port was assigned'))));
    });
  });
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.unref();
    sock.once('error', reject);
    sock.bind({ address: '127.0.0.1', port: 0, exclusive: true }, () => {
      const port = sock.address().port;
      sock.close(() => resolve(port));
    });
  });
}

/** True when qemu's stderr says a port it was told to bind was taken. */
export function isPortClash(stderr: string): boolean {
  return /Could not set up host forwarding rule|Address already in use|can't bind ip=|Failed to bind socket/i.test(
    stderr,
  );
}
