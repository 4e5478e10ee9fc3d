// Shared by pilot's integration tests: a private root (MANTLE_PILOT_ROOT) per test file, podman
// configured as this machine needs it (runc, cgroupfs, explicit ulimits, storage in the test
// dir), a busybox image, and helpers that run the built `pilot` and the registered apps.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built package (pnpm --filter @mantle/core --filter @mantle/pilot build). */
export const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const PILOT = join(DIST, 'cli.js');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function requireBuilt(): Promise<void> {
  for (const f of ['cli.js', 'podman-pilot.js', 'vm-pilot.js', 'bwrap-pilot.js'])
    await access(join(DIST, f)).catch(() => {
      throw new Error(
        `${join(DIST, f)} is missing: run pnpm --filter @mantle/core --filter @mantle/pilot build`,
      );
    });
}

/** Run a program; stdin from `input` (or nothing). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    // a hung program is stopped before vitest's own timeout leaves it behind
    const timer = setTimeout(() => p.kill('SIGTERM'), opts.timeoutMs ?? 270_000);
    p.on('error', reject);
    p.on('close', () => clearTimeout(timer));
    p.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? -1 : -2),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    p.stdin.on('error', () => {}); // the program may exit before reading
    p.stdin.end(opts.input ?? '');
  });
}

export interface Sandbox {
  dir: string;
  /** MANTLE_PILOT_ROOT */
  root: string;
  env: NodeJS.ProcessEnv;
  /** `pilot ARGS` */
  pilot(args: string[], input?: string): Promise<Result>;
  /** run a registered app through its symlink */
  app(path: string, args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<Result>;
  /** start an app and keep its process (signals) */
  spawnApp(path: string, args: string[]): ChildProcess;
  /** `podman ARGS` with the sandbox's storage */
  podman(args: string[]): Promise<Result>;
  cleanup(): Promise<void>;
}

const CONTAINERS_CONF = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
init_path = "/usr/bin/catatonit"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
`;

/** A private root with flakes.yml pointing podman at storage inside the test dir. */
export async function sandbox(name: string): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), `pilot-${name}-`));
  await chmod(dir, 0o755);
  const root = join(dir, 'root');
  await mkdir(join(root, 'etc', 'flakes'), { recursive: true });
  const storageConf = join(root, 'etc', 'flakes', 'storage.conf');
  await writeFile(
    storageConf,
    `[storage]\ndriver = "overlay"\ngraphroot = "${join(dir, 'storage', 'graph')}"\nrunroot = "${join(dir, 'storage', 'run')}"\n`,
  );
  await writeFile(join(dir, 'containers.conf'), CONTAINERS_CONF);
  await writeFile(
    join(root, 'etc', 'flakes.yml'),
    'generic:\n  podman_storage_conf: /etc/flakes/storage.conf\n',
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MANTLE_PILOT_ROOT: root,
    MANTLE_CACHE_DIR: join(dir, 'cache'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: storageConf,
  };
  const sb: Sandbox = {
    dir,
    root,
    env,
    pilot: (args, input) =>
      run(process.execPath, [PILOT, ...args], { env, ...(input !== undefined ? { input } : {}) }),
    app: (path, args, opts = {}) =>
      run(join(root, path), args, {
        env: { ...env, ...(opts.env ?? {}) },
        ...(opts.input !== undefined ? { input: opts.input } : {}),
      }),
    spawnApp: (path, args) => spawn(join(root, path), args, { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    podman: (args) => run('podman', args, { env }),
    cleanup: async () => {
      await run('podman', ['rm', '--all', '--force', '--time', '0'], { env }).catch(() => undefined);
      await run('podman', ['image', 'rm', '--all', '--force'], { env }).catch(() => undefined);
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return sb;
}

/**
 * Unmount what is still mounted below `dir`, deepest first. containers/storage bind-mounts its
 * overlay home onto itself and unmounts it when the last podman process shuts down; a podman
 * service stopping while the CLI cleans up has left it mounted (EBUSY from rm once in CI).
 */
async function unmountUnder(dir: string): Promise<void> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = info
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) await run('umount', ['-l', p]).catch(() => undefined);
}

/** A root filesystem of the host's static busybox and its applets. */
export async function busyboxTree(dir: string): Promise<string> {
  const tree = join(dir, 'bbtree');
  if (
    await access(tree).then(
      () => true,
      () => false,
    )
  )
    return tree;
  for (const d of ['bin', 'etc', 'tmp', 'run', 'var/tmp', 'opt', 'proc', 'dev', 'sys'])
    await mkdir(join(tree, d), { recursive: true });
  await chmod(join(tree, 'tmp'), 0o1777);
  const { copyFile } = await import('node:fs/promises');
  await copyFile('/bin/busybox', join(tree, 'bin', 'busybox'));
  await chmod(join(tree, 'bin', 'busybox'), 0o755);
  for (const a of [
    'sh',
    'cat',
    'echo',
    'sleep',
    'hostname',
    'id',
    'ls',
    'true',
    'false',
    'env',
    'printf',
    'test',
    'wc',
  ])
    await symlink('busybox', join(tree, 'bin', a));
  await writeFile(
    join(tree, 'etc', 'passwd'),
    'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n',
  );
  await writeFile(join(tree, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return tree;
}

/** `podman import` the busybox tree as IMAGE (a tarball, no registry). */
export async function importBusybox(sb: Sandbox, image: string): Promise<void> {
  const tree = await busyboxTree(sb.dir);
  const tar = join(sb.dir, 'bb.tar');
  const t = await run('tar', ['-C', tree, '-cf', tar, '.']);
  if (t.code !== 0) throw new Error(t.stderr);
  const r = await sb.podman(['import', '--quiet', tar, image]);
  if (r.code !== 0) throw new Error(`podman import: ${r.stderr}`);
}

/** Wait until `text` appears on a child's stdout. */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${JSON.stringify(text)}; got ${JSON.stringify(seen)}`)),
      timeoutMs,
    );
    let errors = '';
    child.stderr?.on('data', (c: Buffer) => (errors += c.toString('utf8')));
    child.stdout!.on('data', (c: Buffer) => {
      seen += c.toString('utf8');
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
    // a program that ended without it fails the wait at once, with what it said
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!seen.includes(text))
        reject(new Error(`exited (${code}) before ${JSON.stringify(text)}; stderr: ${errors}`));
    });
  });
}

/**
 * Start `app` as a shell whose script traps SIGTERM (echo got-TERM, exit 7), wait until it
 * runs, send SIGTERM to the launcher: what came back shows whether the signal reached the app.
 */
export async function terminateTrappingApp(
  sb: Sandbox,
  app: string,
): Promise<{ code: number; stdout: string }> {
  const child = sb.spawnApp(app, [
    '-c',
    'trap "echo got-TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done',
  ]);
  const done = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  let stdout = await waitForOutput(child, 'ready');
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.kill('SIGTERM');
  return { code: await done, stdout };
}

/** A `podman system service` on its own socket in the sandbox (its storage and configuration). */
export async function startService(sb: Sandbox): Promise<{ socket: string; stop(): Promise<void> }> {
  const socket = join(sb.dir, 'podman-api.sock');
  const child = spawn('podman', ['system', 'service', '--time', '0', `unix://${socket}`], {
    env: sb.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const deadline = Date.now() + 60_000;
  // the socket appears once the service listens; polling is the only way to learn that
  while (
    !(await access(socket).then(
      () => true,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`podman system service did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    socket,
    // the service holds the storage's mounts until it is gone: wait before the sandbox is removed
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
