// podman-pilot: run a container flake, the way flake-pilot's podman-pilot does, keeping the
// app's exit code.
//
// Modes (podman-pilot/src/podman.rs):
//   plain   a new container per call, removed afterwards. Without provisioning this is one
//           `podman run --rm` (the fastest podman offers); with includes/layers it is create,
//           provision, `start --attach`, rm.
//   resume  one long-lived container per flake (and @NAME) created with `--init --entrypoint
//           sleep IMAGE 4294967295d`; every call is a `podman exec` of the app in it — or,
//           when rootful podman runs it with runc and no terminal is wanted, `runc exec`
//           (see runcExecutable).
//   attach  one container per flake (and @NAME) running the app; a call attaches to it while it
//           runs, or starts it again (with the arguments it was created with) when it stopped.
// Container ids are kept in `<ids_dir>/<uid>/<app>[@NAME].cid` (plain calls without @NAME get a
// random `@NAME=<n>` so simultaneous calls do not collide). `%remove` removes a resume/attach
// container after the call.
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { LaunchContext } from '../launch/context.js';
import { flakeFile, wantsTerminal } from '../launch/context.js';
import { capture, mustRun, tail } from '../launch/capture.js';
import { runForeground } from '../launch/child.js';
import { privateDir, refuseSymlink } from '../launch/private-dir.js';
import { raise } from '../launch/raise.js';
import { resolveRunAs, type RunAs } from '../launch/run-as.js';
import { hostView } from '../store/layout.js';
import { podmanCli, type PodmanCli } from './podman-cli.js';
import { podmanOptions } from './options.js';
import { apiSocket } from './api-socket.js';
import { needsProvisioning } from '../provision/needs.js';
import {
  readResumeState,
  removeResumeState,
  sessionKiller,
  stateAlive,
  writeResumeState,
} from './resume-state.js';
import type { ContainerFlake } from '../flake/schema.js';

const PODMAN_MISSING = { debianPackage: 'podman runc', purpose: 'run container flakes' };
/** plain-mode id files older than this whose container is gone are removed */
const STALE_AFTER_MS = 30_000;
/** every container of a flake carries it: `<app>[@NAME]` */
const FLAKE_LABEL = 'io.mantle.pilot.flake';

interface Plan {
  ctx: LaunchContext;
  c: ContainerFlake['container'];
  include: ContainerFlake['include'];
  file: string;
  podman: PodmanCli;
  /** who podman runs as */
  who: RunAs;
  image: string;
  target: string;
  cidFile: string;
  /** user options, tty flags handled */
  options: string[];
  /** --interactive [--tty] */
  io: string[];
  labels: string[];
  /** the value of the FLAKE_LABEL label */
  flakeLabel: string;
}

/** Launch a container flake; resolves with the app's exit code. */
export async function launchPodman(ctx: LaunchContext): Promise<number> {
  const flake = ctx.resolved.flake;
  if (flake.engine !== 'podman') throw new Error('launchPodman: not a container flake');
  const { container: c, include } = flake.data;
  const file = flakeFile(ctx);
  const rt = c.runtime ?? {};
  const who = await resolveRunAs(rt.runas, file);
  const podman = podmanCli(ctx.env, ctx.resolved.config.podmanStorageConf, who);
  const owner = who.how === 'setuid' ? { uid: who.uid, gid: who.gid } : ctx.caller;
  const idsDir = await privateDir(ctx.resolved.config.podmanIdsDir, owner);
  const keep = rt.resume === true || rt.attach === true;
  // not node:crypto: its load costs start-up time, and these need no secrecy, only uniqueness
  const suffix = ctx.args.instance ?? (keep ? '' : `@NAME=${Math.floor(Math.random() * 2 ** 32)}`);
  const cidFile = join(idsDir, `${ctx.resolved.name}${suffix}.cid`);
  await refuseSymlink(cidFile);
  const opts = podmanOptions(rt.podman, ctx.env, {
    ignoreMissingVolumes: ctx.args.options.has('ignore_missing_volume_path'),
  });
  const plan: Plan = {
    ctx,
    c,
    include,
    file,
    podman,
    who,
    image: c.base_container ?? c.name,
    target: c.target_app_path ?? ctx.resolved.name,
    cidFile,
    options: opts.args,
    io: ['--interactive', ...(wantsTerminal(ctx, opts.wantsTty) ? ['--tty'] : [])],
    flakeLabel: `${ctx.resolved.name}${ctx.args.instance ?? ''}`,
    labels: ['--label', `${FLAKE_LABEL}=${ctx.resolved.name}${ctx.args.instance ?? ''}`],
  };
  if (rt.resume) return resume(plan);
  if (rt.attach) return attach(plan);
  return plain(plan);
}

function foreground(
  plan: Plan,
  args: string[],
  onSignal?: (s: NodeJS.Signals, c: ChildProcess) => boolean,
): Promise<number> {
  const inv = plan.podman.call(args);
  return runForeground(inv.command, inv.args, {
    env: inv.env,
    ...(inv.uid !== undefined ? { uid: inv.uid, gid: inv.gid! } : {}),
    // podman exec (the only caller with onSignal) does not proxy signals itself
    ...(onSignal ? { onSignal, forwardTerminalSignals: true } : {}),
    missing: PODMAN_MISSING,
  });
}

function forget(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

async function provision(plan: Plan, cid: string): Promise<void> {
  const { provisionContainer } = await import('../provision/container.js');
  try {
    await provisionContainer(
      {
        podman: plan.podman,
        cid,
        host: hostView(plan.ctx.resolved.config.root),
        env: plan.ctx.env,
        flakeFile: plan.file,
        ignoreSyncError: plan.ctx.args.options.has('ignore_sync_error'),
        warn: plan.ctx.warn,
      },
      plan.c,
      plan.include,
    );
  } catch (err) {
    // a half-provisioned instance is never started
    await capture(plan.podman.call(['rm', '--force', cid]));
    forget(plan.cidFile);
    throw err;
  }
}

/** After podman failed with 125: a missing image is exit 3 with a clear message. */
async function explainFailure(plan: Plan, code: number): Promise<number> {
  if (code !== 125) return code;
  const exists = await capture(plan.podman.call(['image', 'exists', plan.image]));
  if (exists.code === 1)
    await raise('prerequisite', {
      code: 'IMAGE_MISSING',
      message: `${plan.file}: image ${plan.image} is not in local storage and could not be pulled`,
      hint: `pilot podman pull --uri ${plan.image} (or pilot podman load --oci FILE), then call the app again`,
      details: { image: plan.image },
    });
  return code;
}

async function create(plan: Plan, entry: string[], args: string[]): Promise<string> {
  const r = await capture(
    plan.podman.call([
      'create',
      '--cidfile',
      plan.cidFile,
      ...plan.labels,
      ...plan.options,
      ...plan.io,
      ...entry,
      plan.image,
      ...args,
    ]),
  );
  if (r.code !== 0) {
    forget(plan.cidFile);
    await explainFailure(plan, 125);
    await raise('operation', {
      code: 'ENGINE_FAILED',
      message: `podman create for ${plan.file} failed:\n${tail(r.stderr)}`,
      hint: 'check the podman options in the flake (runtime.podman)',
    });
  }
  return r.stdout.trim();
}

const entrypoint = (plan: Plan): string[] => (plan.target === '/' ? [] : ['--entrypoint', plan.target]);

/**
 * `--init` (catatonit as the container's PID 1) unless the flake decides it: the kernel drops
 * signals a PID 1 has no handler for, so without it podman's forwarded SIGTERM/SIGINT would not
 * stop an app that relies on their default action — the caller's Ctrl-C would do nothing.
 */
const init = (plan: Plan): string[] => (plan.options.some((o) => /^--init(=|$)/.test(o)) ? [] : ['--init']);

async function plain(plan: Plan): Promise<number> {
  await collectStaleCidFiles(plan);
  await claimPlainInstance(plan);
  const appArgs = plan.ctx.args.appArgs;
  if (!needsProvisioning(plan.c, plan.include)) {
    const viaApi = await plainViaApi(plan);
    if (viaApi !== undefined) return viaApi;
    try {
      const code = await foreground(plan, [
        'run',
        '--rm',
        '--cidfile',
        plan.cidFile,
        ...plan.labels,
        ...plan.options,
        ...plan.io,
        ...init(plan),
        ...entrypoint(plan),
        plan.image,
        ...appArgs,
      ]);
      return await explainFailure(plan, code);
    } finally {
      forget(plan.cidFile);
    }
  }
  const cid = await create(plan, [...init(plan), ...entrypoint(plan)], appArgs);
  await provision(plan, cid);
  try {
    return await foreground(plan, ['start', '--attach', '--interactive', cid]);
  } finally {
    await capture(plan.podman.call(['rm', '--force', cid]));
    forget(plan.cidFile);
  }
}

/**
 * The plain call through podman's REST API when a service listens (api-run.ts says when that is
 * the same as the CLI call); undefined: use the CLI.
 */
async function plainViaApi(plan: Plan): Promise<number | undefined> {
  if (plan.who.how !== 'self' || plan.io.includes('--tty')) return undefined;
  const socket = apiSocket(plan.ctx.env);
  if (!socket) return undefined;
  const { runPlainViaApi } = await import('./api-run.js');
  const entry = entrypoint(plan);
  return runPlainViaApi(
    {
      env: plan.ctx.env,
      storageConf: plan.ctx.resolved.config.podmanStorageConf,
      image: plan.image,
      entrypoint: entry.length ? [entry[1]!] : undefined,
      command: plan.ctx.args.appArgs,
      options: plan.options,
      labels: { [FLAKE_LABEL]: plan.flakeLabel },
      init: init(plan).length > 0,
      cidFile: plan.cidFile,
    },
    socket,
  );
}

/**
 * A plain call's id file may exist only for an @NAME: a live container behind it is that
 * instance running (refused, as podman refuses an existing --cidfile, but before podman is
 * asked and without touching the file); a file whose container is gone is stale and removed.
 */
async function claimPlainInstance(plan: Plan): Promise<void> {
  if (!existsSync(plan.cidFile)) return;
  const cid = readCid(plan.cidFile);
  if (cid && (await inspect(plan, cid)))
    await raise('operation', {
      code: 'INSTANCE_RUNNING',
      message: `${plan.file}: the instance ${plan.ctx.args.instance ?? ''} of ${plan.ctx.resolved.name} is running (container ${cid.slice(0, 12)}, ${plan.cidFile})`,
      hint: 'wait for it to end, or call the app with another @NAME',
      details: { cid, cidFile: plan.cidFile },
    });
  forget(plan.cidFile);
}

async function inspect(plan: Plan, cid: string): Promise<{ running: boolean; pid: number } | undefined> {
  const r = await capture(
    plan.podman.call(['container', 'inspect', '--format', '{{.State.Running}} {{.State.Pid}}', cid]),
  );
  if (r.code !== 0) return undefined;
  const [running, pid] = r.stdout.trim().split(' ');
  return { running: running === 'true', pid: Number(pid) };
}

function readCid(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The existing container of a resume/attach flake, or undefined (a stale id file is removed). */
async function existing(plan: Plan): Promise<{ cid: string; running: boolean; pid: number } | undefined> {
  const cid = readCid(plan.cidFile);
  if (!cid) return undefined;
  const st = await inspect(plan, cid);
  if (st) return { cid, ...st };
  forget(plan.cidFile);
  removeResumeState(plan.cidFile);
  return undefined;
}

/** Where runc keeps the state of the containers rootful podman starts with it (runc's default root). */
const RUNC_ROOT = '/run/runc';

/**
 * True when `runc exec` can stand in for `podman exec`: podman runs as root (the launcher is root
 * and runs it itself — rootless podman's runc state lives in its own user namespace), runc
 * manages the container (its state is under runc's root), and no terminal is wanted. runc exec
 * starts the app from the container's own process spec — the same user, environment,
 * capabilities, seccomp profile and cgroup podman exec gives it — without podman's start-up
 * (configuration, database) and conmon: a resume call takes ~0.6× its time with podman exec
 * (bench/pilot.bench.mjs). It passes stdin/stdout/stderr straight through, forwards signals
 * to the app and exits with the app's code. Terminal sessions keep podman exec, which sets up
 * the pty the way podman does.
 */
function runcExecutable(plan: Plan, cid: string): boolean {
  return (
    plan.who.how === 'self' &&
    process.geteuid?.() === 0 &&
    !plan.io.includes('--tty') &&
    /^[0-9a-f]{64}$/.test(cid) &&
    existsSync(join(RUNC_ROOT, cid, 'state.json'))
  );
}

async function execIn(plan: Plan, cid: string): Promise<number> {
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  if (runcExecutable(plan, cid))
    return runForeground(
      'runc',
      ['exec', '--env', `MANTLE_PILOT_SESSION=${token}`, cid, plan.target, ...plan.ctx.args.appArgs],
      { env: plan.ctx.env, missing: PODMAN_MISSING },
    );
  return foreground(
    plan,
    [
      'exec',
      ...plan.io,
      '--env',
      `MANTLE_PILOT_SESSION=${token}`,
      cid,
      plan.target,
      ...plan.ctx.args.appArgs,
    ],
    // podman exec does not pass signals on: deliver them to the app's processes ourselves
    sessionKiller(token),
  );
}

async function resume(plan: Plan): Promise<number> {
  let code: number | undefined;
  const state = readResumeState(plan.cidFile);
  if (state && stateAlive(state) && readCid(plan.cidFile) === state.cid) {
    // fast path: the container runs (its init process is alive): one podman call
    code = await execIn(plan, state.cid);
    // podman exec's own failures are 125, runc's 255: the container may have stopped after all
    if ((code === 125 || code === 255) && !(await inspect(plan, state.cid))?.running) code = undefined;
  }
  if (code === undefined) {
    let cur = await existing(plan);
    if (!cur) {
      let mine = true;
      const cid = await create(plan, ['--init', '--entrypoint', 'sleep'], ['4294967295d']).catch(
        async (err) => {
          // a simultaneous call may have created it first
          const other = await existing(plan);
          if (!other) throw err;
          mine = false;
          return other.cid;
        },
      );
      if (mine) await provision(plan, cid);
      cur = { cid, running: false, pid: 0 };
    }
    if (!cur.running)
      await mustRun(plan.podman.call(['start', cur.cid]), `starting the resume container of ${plan.file}`);
    const st = await inspect(plan, cur.cid);
    if (!st?.running) {
      await removeKept(plan);
      await raise('prerequisite', {
        code: 'RESUME_CONTAINER_STOPPED',
        message: `the resume container of ${plan.file} stopped right after its start: resume flakes keep it running with 'sleep 4294967295d' (as flake-pilot does), so ${plan.image} needs a sleep program`,
        hint: 'add sleep (coreutils or busybox) to the image, or register the app without --resume',
      });
    }
    writeResumeState(plan.cidFile, cur.cid, st!.pid);
    code = await execIn(plan, cur.cid);
  }
  if (plan.ctx.args.options.has('remove')) await removeKept(plan);
  return code;
}

async function attach(plan: Plan): Promise<number> {
  const cur = await existing(plan);
  let code: number;
  if (cur?.running) code = await foreground(plan, ['attach', cur.cid]);
  else if (cur) code = await foreground(plan, ['start', '--attach', '--interactive', cur.cid]);
  else {
    const cid = await create(plan, [...init(plan), ...entrypoint(plan)], plan.ctx.args.appArgs);
    await provision(plan, cid);
    code = await foreground(plan, ['start', '--attach', '--interactive', cid]);
  }
  if (plan.ctx.args.options.has('remove')) await removeKept(plan);
  return code;
}

async function removeKept(plan: Plan): Promise<void> {
  const cid = readCid(plan.cidFile);
  if (cid) await capture(plan.podman.call(['rm', '--force', '--time', '2', cid]));
  forget(plan.cidFile);
  removeResumeState(plan.cidFile);
}

/**
 * Plain calls remove their id file when they end; one killed before that leaves it behind. The
 * files of this flake older than STALE_AFTER_MS are checked against podman's containers (one
 * call, and only when there are such files) and removed when their container is gone.
 */
async function collectStaleCidFiles(plan: Plan): Promise<void> {
  const dir = join(plan.cidFile, '..');
  const prefix = `${plan.ctx.resolved.name}@NAME=`;
  const now = Date.now();
  const old = readdirSync(dir).filter((f) => {
    if (!f.startsWith(prefix) || !f.endsWith('.cid')) return false;
    try {
      return now - statSync(join(dir, f)).mtimeMs > STALE_AFTER_MS;
    } catch {
      return false;
    }
  });
  if (old.length === 0) return;
  const r = await capture(plan.podman.call(['ps', '--all', '--no-trunc', '--format', '{{.ID}}']));
  if (r.code !== 0) return;
  const live = new Set(r.stdout.split('\n').map((l) => l.trim()));
  for (const f of old) {
    const cid = readCid(join(dir, f));
    if (!cid || !live.has(cid)) forget(join(dir, f));
  }
}
