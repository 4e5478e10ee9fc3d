import { spawn as spawnProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError, OperationError, UsageError } from '@mantle/core/errors';
import { onCleanup, writeJson, writeOut, type CommandContext } from '@mantle/core/cli';
import { connectWithRetry } from '@mantle/core/ssh';
import { checkInputPath } from '@mantle/core/fs';
import { z } from 'zod';
import { writeFileAtomic } from '@mantle/core/fs';
import { flagError } from './options.js';
import { createOutputDir, planOutputDir, type PreparedOutputDir } from '../output/output-dir.js';
import {
  platforms as defaultPlatforms,
  resolvePlatform,
  type PlatformFactory,
} from '../platform/registry.js';
import type { Flight, Machine } from '../platform/types.js';
import { chooseImage } from './image-select.js';
import { RunOptionsSchema, parseRunOptions, type RunOptions } from './options.js';

/** `kola spawn` options: the platform flags of `kola run` plus what to boot and how to wait. */
export const SpawnOptionsSchema = RunOptionsSchema.pick({
  platform: true,
  outputDir: true,
  basename: true,
  key: true,
  keys: true,
  remove: true,
  sshRetries: true,
  sshTimeoutSec: true,
  qemu: true,
  image: true,
}).extend({
  nodecount: z.number().int().min(1).max(64).default(1),
  /** a file with Butane or Ignition user data for every machine */
  userdata: z.string().min(1).optional(),
  shell: z.boolean().default(false),
  detach: z.boolean().default(false),
  /** internal: the detached child writes its machines here once they are up */
  stateFile: z.string().min(1).optional(),
});
export type SpawnOptions = z.infer<typeof SpawnOptionsSchema>;

const SPAWN_FLAG_OF: Record<string, string> = {
  nodecount: '-c/--nodecount',
  userdata: '-u/--userdata',
  shell: '-s/--shell',
  detach: '--detach',
};

/** Validate spawn's own flags; a bad value is a UsageError (exit 2) naming the flag. */
export function parseSpawnOptions(input: unknown): SpawnOptions {
  const r = SpawnOptionsSchema.safeParse(input);
  if (r.success) return r.data;
  throw flagError(
    r.error.issues,
    SPAWN_FLAG_OF,
    "run 'kola spawn --help'; to run a command on the machine use 'kola spawn -s' or ssh to the address it prints",
  );
}

/** A booted machine and how to reach it. */
export interface SpawnedMachine {
  id: string;
  ip: string;
  sshPort: number;
  privateIp?: string;
  outputDir: string;
  /** the ssh command line that logs in */
  ssh: string;
}

/** What a spawn (or its detached child) reports; the state file holds the same. */
export interface SpawnState {
  pid: number;
  outputDir: string;
  machines: SpawnedMachine[];
}

export interface SpawnDeps {
  platforms?: Record<string, PlatformFactory>;
  /** the kola entry script, for --detach (default process.argv[1]) */
  cliPath?: string;
  /** how to wait once machines are up (default: until ctx.signal aborts) */
  waitForStop?: (signal: AbortSignal) => Promise<void>;
}

/** The name of the state file a detached spawn writes into its output directory. */
export const SPAWN_STATE_FILE = 'spawn-state.json';

/** The private key to print in the ssh line: the flight's own, else the user's --key. */
function sshPrivateKeyOf(flight: Flight, opts: Pick<RunOptions, 'key'>): string | undefined {
  // Flight has no key accessor in the platform API yet; the qemu flight keeps its key in
  // `context.privateKeyPath`, read defensively here.
  const f = flight as Flight & { sshPrivateKeyPath?: unknown; context?: { privateKeyPath?: unknown } };
  if (typeof f.sshPrivateKeyPath === 'string') return f.sshPrivateKeyPath;
  if (typeof f.context?.privateKeyPath === 'string') return f.context.privateKeyPath;
  const user = opts.key[0];
  if (user) {
    const priv = user.endsWith('.pub') ? user.slice(0, -4) : user;
    if (existsSync(priv)) return resolve(priv);
  }
  return undefined;
}

/** `ssh -p PORT -i KEY -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null core@IP` */
export function sshCommandLine(
  m: Pick<Machine, 'ip' | 'sshPort'>,
  key: string | undefined,
  user = 'core',
): string {
  return [
    'ssh',
    '-p',
    String(m.sshPort),
    ...(key ? ['-i', key] : []),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    `${user}@${m.ip}`,
  ].join(' ');
}

/**
 * `kola spawn`: boot N machines in one cluster and print how to reach them, then
 *  - wait for Ctrl-C (default) and destroy them,
 *  - with --shell open a shell on the first machine and destroy them when it exits, or
 *  - with --detach hand them to a background kola process and exit; `kola spawn --stop DIR`
 *    (or SIGTERM to the pid it prints) stops that process, which destroys the machines.
 */
export async function spawnCommand(
  opts: SpawnOptions,
  ctx: CommandContext,
  deps: SpawnDeps = {},
): Promise<SpawnState> {
  const factory = resolvePlatform(opts.platform, deps.platforms ?? defaultPlatforms);
  const userData = opts.userdata ? await readUserData(opts.userdata, ctx.cwd) : undefined;
  if (opts.detach && opts.shell)
    throw new UsageError({
      code: 'BAD_OPTION',
      message: '--detach and --shell exclude each other',
      hint: 'pick one',
    });
  // Inputs and prerequisites first (the output directory, the image, then the platform's own
  // checks: qemu, firmware, keys); the output directory is made only when machines really start.
  const plan = opts.outputDir
    ? await planOutputDir({ cwd: ctx.cwd, platform: opts.platform, outputDir: opts.outputDir })
    : await planOutputDir({ cwd: ctx.cwd, platform: `${opts.platform}-spawn`, latestLink: false });
  const run = (await chooseImage(parseRunOptions({ ...opts, globs: [] }), ctx.env, ctx.cwd)).opts;
  const platformCtx = { run, outputDir: plan.dir, logger: ctx.logger, signal: ctx.signal, env: ctx.env };
  if (opts.detach) {
    // The background kola checks again, but its errors would only reach its log: check here, so
    // a bad input is this command's exit 2 or 3.
    await (await factory(platformCtx)).destroy();
    return detach(opts, await createOutputDir(plan), ctx, deps);
  }
  const flight = await factory(platformCtx);
  const out = await createOutputDir(plan).catch(async (err: unknown) => {
    await flight.destroy();
    throw err;
  });
  const unregister = onCleanup(() => flight.destroy(), 'kola spawn flight');
  try {
    const cluster = await flight.newCluster({
      name: `${opts.basename}-spawn`,
      outputDir: out.dir,
      privateNetwork: opts.nodecount > 1,
      signal: ctx.signal,
    });
    const machines = await Promise.all(
      Array.from({ length: opts.nodecount }, () => cluster.newMachine(userData)),
    );
    const key = sshPrivateKeyOf(flight, opts);
    const state: SpawnState = {
      pid: process.pid,
      outputDir: out.dir,
      machines: machines.map((m) => {
        const s: SpawnedMachine = {
          id: m.id,
          ip: m.ip,
          sshPort: m.sshPort,
          outputDir: m.outputDir,
          ssh: sshCommandLine(m, key),
        };
        if (m.privateIp) s.privateIp = m.privateIp;
        return s;
      }),
    };
    if (ctx.json) writeJson(ctx, state);
    else for (const m of state.machines) writeOut(ctx, `${m.id}: ${m.ssh}`);
    if (opts.stateFile) await writeFileAtomic(opts.stateFile, JSON.stringify(state, null, 2) + '\n');

    const first = machines[0];
    if (opts.shell && first) {
      if (!key)
        throw new OperationError({
          code: 'NO_SSH_KEY',
          message: 'the platform did not say which SSH key reaches its machines',
          hint: 'pass --key with a key pair of yours',
        });
      const client = await connectWithRetry({
        host: first.ip,
        port: first.sshPort,
        user: 'core',
        privateKeyPath: key,
        hostKeyPolicy: 'insecure',
        tries: opts.sshRetries,
        perTryTimeoutMs: opts.sshTimeoutSec * 1000,
        signal: ctx.signal,
        logger: ctx.logger,
      });
      try {
        // kola exits with the shell's status, as ssh does
        const code = await client.shell();
        if (code !== 0) ctx.setExitCode(code);
      } finally {
        await client.close();
      }
    } else {
      if (!ctx.json && !opts.stateFile) writeOut(ctx, 'machines are running; press Ctrl-C to destroy them');
      await (deps.waitForStop ?? untilAborted)(ctx.signal);
    }
    return state;
  } finally {
    if (opts.remove) await flight.destroy();
    unregister();
    if (opts.stateFile) await rm(opts.stateFile, { force: true });
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((res) => {
    if (signal.aborted) res();
    else signal.addEventListener('abort', () => res(), { once: true });
  });
}

async function readUserData(file: string, cwd: string): Promise<string> {
  return readFile(await checkInputPath(file, { cwd, flag: '-u/--userdata' }), 'utf8');
}

/**
 * --detach: start `kola spawn --options-file F` as a background process (its own session, output
 * in spawn.log), wait until it wrote its state file, print the machines and how to stop it.
 */
async function detach(
  opts: SpawnOptions,
  out: PreparedOutputDir,
  ctx: CommandContext,
  deps: SpawnDeps,
): Promise<SpawnState> {
  const cli = deps.cliPath ?? process.argv[1];
  if (!cli)
    throw new OperationError({
      code: 'NO_CLI_PATH',
      message: 'cannot tell which kola to start in the background',
    });
  const stateFile = join(out.dir, SPAWN_STATE_FILE);
  const optionsFile = join(out.dir, 'spawn-options.json');
  const childOpts: SpawnOptions = {
    ...opts,
    detach: false,
    shell: false,
    outputDir: join(out.dir, 'machines'),
    stateFile,
  };
  if (opts.userdata) childOpts.userdata = resolve(ctx.cwd, opts.userdata);
  await writeFileAtomic(optionsFile, JSON.stringify(childOpts, null, 2) + '\n', { mode: 0o600 });
  const logPath = join(out.dir, 'spawn.log');
  const fd = openSync(logPath, 'a');
  const child = spawnProcess(process.execPath, [cli, 'spawn', '--options-file', optionsFile], {
    cwd: ctx.cwd,
    env: ctx.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();

  const stopChild = (): void => {
    if (exited === undefined && child.pid) process.kill(child.pid, 'SIGTERM');
  };
  ctx.signal.addEventListener('abort', stopChild, { once: true });
  try {
    for (;;) {
      const state = await readFile(stateFile, 'utf8').then(
        (t) => JSON.parse(t) as SpawnState,
        () => undefined,
      );
      if (state) {
        if (ctx.json) writeJson(ctx, state);
        else {
          for (const m of state.machines) writeOut(ctx, `${m.id}: ${m.ssh}`);
          writeOut(ctx, `machines run in background process ${state.pid} (log: ${logPath})`);
          writeOut(ctx, `stop them with: kola spawn --stop ${out.dir}   (or: kill -TERM ${state.pid})`);
        }
        return state;
      }
      if (exited !== undefined || ctx.signal.aborted) {
        const log = await readFile(logPath, 'utf8').catch(() => '');
        throw new OperationError({
          code: 'SPAWN_FAILED',
          message: `the background kola spawn ${ctx.signal.aborted ? 'was stopped' : `exited (${String(exited)})`} before its machines were up:\n${log.split('\n').slice(-20).join('\n')}`,
          hint: `see ${logPath}`,
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    ctx.signal.removeEventListener('abort', stopChild);
  }
}

/** Read the options a detaching parent wrote (`kola spawn --options-file F`). */
export async function readSpawnOptionsFile(file: string): Promise<SpawnOptions> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new InputError({
      code: 'SPAWN_OPTIONS_UNREADABLE',
      message: `--options-file ${file}: ${String(err)}`,
    });
  });
  const r = SpawnOptionsSchema.safeParse(JSON.parse(text));
  if (!r.success)
    throw new InputError({
      code: 'SPAWN_OPTIONS_INVALID',
      message: `--options-file ${file}: ${r.error.message}`,
    });
  return r.data;
}

/** `kola spawn --stop DIR`: SIGTERM the background spawn recorded in DIR and wait until it is gone. */
export async function stopSpawn(
  dir: string,
  ctx: Pick<CommandContext, 'cwd' | 'stdout'>,
  timeoutMs = 60_000,
): Promise<{ pid: number; stopped: boolean }> {
  const file = join(resolve(ctx.cwd, dir), SPAWN_STATE_FILE);
  const state = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as SpawnState,
    () => undefined,
  );
  if (!state || typeof state.pid !== 'number') {
    throw new InputError({
      code: 'NO_SPAWN_STATE',
      message: `--stop ${dir}: no ${SPAWN_STATE_FILE} there (no detached spawn running from it)`,
      hint: 'give the directory `kola spawn --detach` printed',
    });
  }
  // Never signal a recycled pid: it must still be a kola spawn.
  const cmdline = await readFile(`/proc/${state.pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('spawn')) {
    await rm(file, { force: true });
    writeOut(ctx, `process ${state.pid} is no longer running`);
    return { pid: state.pid, stopped: true };
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(state.pid)) {
      writeOut(ctx, `stopped ${state.pid}; its machines are destroyed`);
      return { pid: state.pid, stopped: true };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new OperationError({
    code: 'SPAWN_STOP_TIMEOUT',
    message: `process ${state.pid} did not exit within ${timeoutMs / 1000}s of SIGTERM`,
    hint: `kill -KILL ${state.pid} (its qemu processes may then need killing too)`,
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
