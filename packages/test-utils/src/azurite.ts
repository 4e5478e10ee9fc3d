// Starts Azurite's blob service (the real Azure Blob API emulator) as a child process on a free
// port on 127.0.0.1 with a temp directory, telemetry off.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobServiceClient } from '@azure/storage-blob';
import { freePort } from './free-port.js';

/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** Azurite's well-known development account key (public, documented by Microsoft). */
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A running Azurite blob service. */
export interface AzuriteHandle {
  /** http://127.0.0.1:PORT/devstoreaccount1 */
  endpoint: string;
  close(): Promise<void>;
}

/** The SDK's client for this Azurite with the development account's key, to make or inspect containers directly. */
export async function azuriteService(azurite: Pick<AzuriteHandle, 'endpoint'>): Promise<BlobServiceClient> {
  const sdk = await import('@azure/storage-blob');
  return new sdk.BlobServiceClient(
    azurite.endpoint,
    new sdk.StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  );
}

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', timeout: 500 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** Start azurite-blob from this package's node_modules and wait until it answers HTTP. */
export async function startAzurite(): Promise<AzuriteHandle> {
  const bin = fileURLToPath(new URL('../node_modules/.bin/azurite-blob', import.meta.url));
  const location = await mkdtemp(join(tmpdir(), 'mantle-azurite-'));
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      bin,
      [
        '--disableTelemetry',
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        '--location',
        location,
        '--skipApiVersionCheck',
        '--silent',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d: Buffer) => (lastErr = (lastErr + d.toString()).slice(-2000)));
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      if (await probe(port)) {
        return {
          endpoint: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
          close: async () => {
            if (!exited) {
              const done = new Promise((resolve) => child.once('exit', resolve));
              child.kill('SIGTERM');
              await done;
            }
            await rm(location, { recursive: true, force: true });
          },
        };
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    if (!exited) child.kill('SIGKILL');
  }
  await rm(location, { recursive: true, force: true });
  throw new Error(`azurite-blob did not start: ${lastErr}`);
}
