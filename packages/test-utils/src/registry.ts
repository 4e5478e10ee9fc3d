// A real container registry for tests: Debian's docker-registry (distribution) serving from a temp
// dir on 127.0.0.1 at a free port, optionally behind htpasswd basic auth.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, retryOnPortClash } from './free-port.js';

export { freePort };

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** A user for the auth registry; the hash is bcrypt (cost 4) of REGISTRY_PASSWORD. */
export const REGISTRY_USER = 'tester';
export const REGISTRY_PASSWORD = 's3cret-test-pass';
const REGISTRY_BCRYPT = '$2b$04$BBtVo4GJDrFVSk7BFY4Y4O8heLd5DK63czgbP62Ez2kJ1jPT.YNk.';

export interface Registry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  stop(): Promise<void>;
}

/**
 * Start `docker-registry serve` and wait until /v2/ answers (200, or 401 with auth). The port is
 * picked free and bound by the registry a moment later: when another process took it in between
 * (the registry exits with "address already in use"), it starts again on another port.
 */
export function startRegistry(opts: { auth?: boolean } = {}): Promise<Registry> {
  return retryOnPortClash(() => startRegistryOnce(opts));
}

async function startRegistryOnce(opts: { auth?: boolean }): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'test-registry-'));
  await mkdir(join(dir, 'storage'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    'http:',
    `  addr: ${host}`,
    ...(opts.auth
      ? ['auth:', '  htpasswd:', '    realm: bakery-test', `    path: ${join(dir, 'htpasswd')}`]
      : []),
  ].join('\n');
  if (opts.auth) await writeFile(join(dir, 'htpasswd'), `${REGISTRY_USER}:${REGISTRY_BCRYPT}\n`);
  await writeFile(join(dir, 'config.yml'), config + '\n');
  const proc: ChildProcess = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  // a deadline in time, not in tries: each try's fetch can itself be slow on a loaded runner
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await fetch(`http://${host}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    // an answer counts only while our registry runs: another server may hold the port
    if (proc.exitCode === null && (status === 200 || (opts.auth && status === 401))) break;
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited with ${proc.exitCode}: ${stderr}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry on ${host} did not answer /v2/: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, stop };
}
