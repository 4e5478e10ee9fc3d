import { createServer, type Socket } from 'node:net';
import type { Client } from 'ssh2';
import type { Logger } from '../log/logger.js';
import { SshErrorCode, sshOperationError } from './errors.js';
import { errorMessage } from '../errors/message.js';

export interface LocalForwardOptions {
  /** local port to listen on; 0 or absent picks a free one */
  localPort?: number;
  /** local address to listen on (default 127.0.0.1: never expose a tunnel beyond this host) */
  localHost?: string;
  /** destination as seen from the SSH server, e.g. `127.0.0.1` for a service on the machine */
  remoteHost: string;
  remotePort: number;
}

/** A listening local forward. */
export interface LocalForward {
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
  /** stop listening and cut the tunnelled connections */
  close(): Promise<void>;
}

/** Listen locally and tunnel each accepted connection through `conn` (ssh -L). */
export async function startLocalForward(
  conn: Client,
  opts: LocalForwardOptions,
  logger: Logger,
  target: string,
): Promise<LocalForward> {
  const localHost = opts.localHost ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  // allowHalfOpen: a client that shuts down its sending side still gets the reply (as with ssh -L).
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.pause();
    conn.forwardOut(
      sock.remoteAddress ?? '127.0.0.1',
      sock.remotePort ?? 0,
      opts.remoteHost,
      opts.remotePort,
      (err, stream) => {
        if (err) {
          logger.debug(
            `forward to ${opts.remoteHost}:${opts.remotePort} via ${target} refused: ${err.message}`,
          );
          sock.destroy();
          return;
        }
        stream.on('error', () => sock.destroy());
        // end (flush, then FIN) rather than destroy, which would drop reply bytes still queued
        stream.once('close', () => sock.end());
        sock.once('close', () => stream.close());
        sock.pipe(stream).pipe(sock);
        sock.resume();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.localPort ?? 0, localHost, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw sshOperationError(
      SshErrorCode.ChannelFailed,
      `cannot listen on ${localHost}:${opts.localPort ?? 0} to forward to ${opts.remoteHost}:${opts.remotePort} via ${target}: ${errorMessage(err)}`,
      { hint: 'pick another localPort or leave it out to get a free one', cause: err },
    );
  });
  const addr = server.address();
  const localPort = typeof addr === 'object' && addr ? addr.port : (opts.localPort ?? 0);
  logger.debug(`forwarding ${localHost}:${localPort} -> ${opts.remoteHost}:${opts.remotePort} via ${target}`);
  let closing: Promise<void> | undefined;
  return {
    localHost,
    localPort,
    remoteHost: opts.remoteHost,
    remotePort: opts.remotePort,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
