// Where podman's API service listens, checked without loading the API client (the launch's
// fast path pays for that only when a service is there).
import { lstatSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The service's socket, unless the API path is turned off (MANTLE_PILOT_PODMAN_API=off) or no
 * service socket is there: $CONTAINER_HOST (unix:// only), else rootful podman's
 * /run/podman/podman.sock for root and $XDG_RUNTIME_DIR/podman/podman.sock for other users.
 * On by default: measured interleaved on the shared machine, a plain call through the API took
 * ~0.9x of `podman run --rm` and the CLI path ~1.35x (bench/pilot.bench.mjs, 1b).
 */
export function apiSocket(env: NodeJS.ProcessEnv): string | undefined {
  if (env.MANTLE_PILOT_PODMAN_API === 'off') return undefined;
  let path: string | undefined;
  if (env.CONTAINER_HOST) {
    if (!env.CONTAINER_HOST.startsWith('unix://')) return undefined; // ssh://, tcp://: the CLI's job
    path = env.CONTAINER_HOST.slice('unix://'.length);
  } else if (process.geteuid?.() === 0) path = '/run/podman/podman.sock';
  else if (env.XDG_RUNTIME_DIR) path = join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock');
  if (!path) return undefined;
  try {
    // bigint: on Node 20 a plain lstat of a socket leaves the shared stat buffer so that the
    // ESM resolver's later realpath fails (a dynamic import then cannot find a package)
    return lstatSync(path, { bigint: true }).isSocket() ? path : undefined;
  } catch {
    return undefined;
  }
}
