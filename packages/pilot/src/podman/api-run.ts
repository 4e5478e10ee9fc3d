// A plain-mode call through podman's REST API instead of `podman run`: the podman binary's own
// start-up (configuration, storage and database setup, on every call) is skipped by asking the
// service that already did it — `podman system service` or podman.socket. The sequence is what
// podman-remote's run does: create, attach (the multiplexed stream), start, wait, delete.
//
// Used only where it is the same as the CLI call: no terminal wanted (TTY sessions keep the CLI),
// podman run as the caller itself (no runas switch), every flake option mapped one to one
// (api-spec.ts), the service storing its containers where the flake's storage configuration
// says (its graphRoot, asked once per service start and cached), and the image already there
// (a missing one is left to the CLI, which pulls it or ends with exit 3). On unless
// MANTLE_PILOT_PODMAN_API=off (api-socket.ts).
import { closeSync, lstatSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PodmanApi, demultiplexer, errorMessage } from './api-client.js';
import { mapOptions, type CreateSpec } from './api-spec.js';
import { cacheDir } from '../launch/cache.js';
import { ownDir } from '../launch/private-dir.js';
import { raise } from '../launch/raise.js';

/** Signals a launcher passes on to the app (the same set as launch/child.ts). */
const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

export interface ApiPlainCall {
  env: NodeJS.ProcessEnv;
  /** the storage.conf the CLI would be given (flakes.yml's podman_storage_conf), if any */
  storageConf: string | undefined;
  image: string;
  /** --entrypoint, or none for the image's own */
  entrypoint: string[] | undefined;
  command: string[];
  /** podman options of the flake (tty flags already taken out) */
  options: string[];
  labels: Record<string, string>;
  /** add --init (catatonit) */
  init: boolean;
  cidFile: string;
}

/** graphroot of a storage.conf (the one setting that decides where images and containers are). */
function graphRootOf(storageConf: string): string | undefined {
  try {
    return /^\s*graphroot\s*=\s*["']([^"']+)["']/m.exec(readFileSync(storageConf, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The service's graphRoot. /libpod/info is slow (it sizes the store), so the answer is cached in
 * the caller's own cache directory, keyed by the socket's inode and ctime (a restarted service
 * makes a new socket).
 */
async function serviceGraphRoot(api: PodmanApi, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const st = lstatSync(api.socketPath, { bigint: true }); // bigint: see api-socket.ts
  const key = `${api.socketPath}:${st.ino}:${st.ctimeNs}`;
  const dir = cacheDir(env);
  const file = dir ? join(dir, 'podman-api.json') : undefined;
  if (file) {
    try {
      const fd = openSync(file, 'r', 0); // never through a symlink: see below
      try {
        const cached = JSON.parse(readFileSync(fd, 'utf8')) as { key?: string; graphRoot?: string };
        if (cached.key === key && typeof cached.graphRoot === 'string') return cached.graphRoot;
      } finally {
        closeSync(fd);
      }
    } catch {
      // no entry yet
    }
  }
  const info = await api.call('GET', '/info');
  if (info.status !== 200) return undefined;
  const graphRoot = (JSON.parse(info.body) as { store?: { graphRoot?: string } }).store?.graphRoot;
  if (!graphRoot || !dir || !file) return graphRoot;
  try {
    await ownDir(dir, process.geteuid?.() ?? 0);
    try {
      if (lstatSync(file).isSymbolicLink()) return graphRoot;
    } catch {
      // not there yet
    }
    writeFileSync(file, JSON.stringify({ key, graphRoot }), { mode: 0o600 });
  } catch {
    // no cache: ask again next time
  }
  return graphRoot;
}

/**
 * Run the call through the API. Resolves with the app's exit code, or undefined when the API
 * cannot do this call the way the CLI would (nothing was created then: use the CLI).
 */
export async function runPlainViaApi(call: ApiPlainCall, socketPath: string): Promise<number | undefined> {
  const spec: CreateSpec = {
    image: call.image,
    command: call.command,
    stdin: true,
    httpproxy: true,
    labels: { ...call.labels },
    env: {},
    ...(call.entrypoint ? { entrypoint: call.entrypoint } : {}),
    ...(call.init ? { init: true } : {}),
  };
  if (!mapOptions(spec, call.options, call.env)) return undefined;
  const api = new PodmanApi(socketPath);
  const storageConf = call.storageConf ?? call.env.CONTAINERS_STORAGE_CONF;
  let created: Awaited<ReturnType<PodmanApi['call']>>;
  try {
    if (storageConf) {
      const want = graphRootOf(storageConf);
      if (!want || want !== (await serviceGraphRoot(api, call.env))) return undefined;
    }
    created = await api.call('POST', '/containers/create', spec);
  } catch {
    return undefined; // the service is not listening (a stale socket): the CLI
  }
  // the image is not there (podman 4 answers 500 "image not known", later ones 404; nothing was
  // created): the CLI pulls it, or ends with exit 3
  if (created.status !== 201 && /image not known|no such image/i.test(created.body)) return undefined;
  if (created.status !== 201)
    return raise('operation', {
      code: 'ENGINE_FAILED',
      message: `podman (API ${socketPath}) could not create the container: ${errorMessage(created.body)}`,
      hint: 'check the podman options in the flake (runtime.podman); with MANTLE_PILOT_PODMAN_API=off the podman CLI runs the call',
    });
  const id = (JSON.parse(created.body) as { Id: string }).Id;
  try {
    writeCidFile(call.cidFile, id);
  } catch (err) {
    await api.call('DELETE', `/containers/${id}?force=true&v=true`);
    return raise('operation', {
      code: 'ENGINE_FAILED',
      message: `cannot write the container id file ${call.cidFile}: ${(err as Error).message}`,
      cause: err,
    });
  }
  let exited = false;
  try {
    const code = await attachStartWait(api, id);
    exited = true;
    return code;
  } finally {
    const remove = `/containers/${id}?force=true&v=true`;
    // An app that ended is removed by the service after the launcher is gone: the removal waits
    // for the container's lock, which podman's own cleanup process (conmon's exit command, a
    // whole podman start) holds first, and that wait was half the call (bench 1b). The exit code
    // and all output are in by then. A flake that names its container waits for the removal
    // (the next call reuses the name), as does any call that failed on the way.
    if (exited && spec.name === undefined) await api.send('DELETE', remove);
    else await api.call('DELETE', remove).catch(() => undefined);
    try {
      unlinkSync(call.cidFile);
    } catch {
      // already gone
    }
  }
}

/** podman's --cidfile: the file must not exist yet (O_EXCL also refuses a planted symlink). */
function writeCidFile(path: string, id: string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, id);
  } finally {
    closeSync(fd);
  }
}

async function attachStartWait(api: PodmanApi, id: string): Promise<number> {
  const { socket, head } = await api.attach(id);
  const feed = demultiplexer(
    (c) => process.stdout.write(c),
    (c) => process.stderr.write(c),
  );
  const drained = new Promise<void>((resolve) => {
    socket.on('data', feed);
    socket.on('end', resolve);
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  if (head.length) feed(head);
  // the caller's stdin goes in; its end closes the container's stdin
  const stdin = process.stdin;
  stdin.on('error', () => socket.end());
  stdin.pipe(socket);
  // podman run proxies signals to the app; here the service delivers them. One that arrives
  // before the start is done would find no process to kill (the service refuses a container that
  // is only created) and be lost while the app starts anyway: it is held and sent after the start.
  const kill = (sig: NodeJS.Signals): void =>
    void api.call('POST', `/containers/${id}/kill?signal=${sig}`).catch(() => undefined);
  let running = false;
  const held: NodeJS.Signals[] = [];
  const handlers = FORWARDED.map((sig) => {
    const h = (): void => {
      if (running) kill(sig);
      else held.push(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  try {
    const started = await api.call('POST', `/containers/${id}/start`);
    if (started.status !== 204 && started.status !== 304)
      return await raise('operation', {
        code: 'ENGINE_FAILED',
        message: `podman (API ${api.socketPath}) could not start the container: ${errorMessage(started.body)}`,
        hint: 'with MANTLE_PILOT_PODMAN_API=off the podman CLI runs the call',
      });
    running = true;
    held.forEach(kill);
    // the output stream ends when the app does
    await drained;
    return await exitCode(api, id);
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    stdin.unpipe(socket);
    stdin.destroy();
    socket.destroy();
  }
}

/**
 * The app's exit code once its output stream ended. Inspect answers at once: conmon has written
 * the exit file by then. /wait would also wait for conmon itself to end, which waits for its exit
 * command (`podman container cleanup`, a podman process of its own start-up): ~0.4 s of
 * podman's housekeeping between the app's end and the launcher's. /wait only when inspect still
 * sees the app running.
 */
async function exitCode(api: PodmanApi, id: string): Promise<number> {
  const inspected = await api.call('GET', `/containers/${id}/json`);
  if (inspected.status === 200) {
    const state = (JSON.parse(inspected.body) as { State?: { Status?: string; ExitCode?: number } }).State;
    if ((state?.Status === 'stopped' || state?.Status === 'exited') && Number.isInteger(state.ExitCode))
      return state.ExitCode!;
  }
  const waited = await api.call('POST', `/containers/${id}/wait?condition=exited&interval=10ms`);
  const code = Number(waited.body.trim());
  if (waited.status !== 200 || !Number.isInteger(code))
    return raise('operation', {
      code: 'ENGINE_FAILED',
      message: `podman (API ${api.socketPath}) could not report the exit code: ${errorMessage(waited.body)}`,
    });
  return code;
}
