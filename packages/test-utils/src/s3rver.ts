// Starts s3rver (a real S3 API server in JS) on a free port on 127.0.0.1 with a temp directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  httpServer: import('node:http').Server;
  close(): Promise<void>;
  on(
    event: 'event',
    listener: (e: { Records: Array<{ eventName: string; s3: { object: { key: string } } }> }) => void,
  ): void;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;

/** The well-known s3rver credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** The `s3` options of openStore for this s3rver: path-style, us-east-1, its credentials. */
export function s3rverOptions(s3: Pick<S3rverHandle, 'endpoint'>): {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
} {
  return { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, ...S3RVER_CREDENTIALS };
}

/** A running s3rver with the S3 events it saw. */
export interface S3rverHandle {
  endpoint: string;
  /** eventName (e.g. ObjectCreated:Put) and key of every object event, in order */
  events: Array<{ name: string; key: string }>;
  /** method and URL of every request the server received */
  requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

/** Start s3rver with the given buckets already created. */
export async function startS3rver(buckets: string[]): Promise<S3rverHandle> {
  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as S3rverCtor;
  const directory = await mkdtemp(join(tmpdir(), 'mantle-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const events: Array<{ name: string; key: string }> = [];
  server.on('event', (e) => {
    for (const r of e.Records) events.push({ name: r.eventName, key: decodeURIComponent(r.s3.object.key) });
  });
  const addr = await server.run();
  const requests: Array<{ method: string; url: string }> = [];
  server.httpServer.on('request', (req: import('node:http').IncomingMessage) =>
    requests.push({ method: req.method ?? '', url: req.url ?? '' }),
  );
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    events,
    requests,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
