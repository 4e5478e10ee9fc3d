// Resume vm flakes: the first call starts the VM and leaves it running; every call (that one
// included) runs the app in it. The VM's things live in the caller's private ids directory:
//   <firecracker_ids_dir>/<uid>/<app>[@NAME].vmid    qemu's pid and start time
//   <firecracker_ids_dir>/<uid>/<app>[@NAME].vm/     ctl.sock (qemu listens), stdout/stderr/exit
//                                                    files, console.log, overlay.img, lock
// A call takes the lock (one app at a time per VM), empties the output files, sends
// `RUN <argv words, base64> <n>` and n bytes of stdin over ctl, follows stdout/stderr and waits
// for `exit N`. stdin is read whole before the app starts (up to 64 MiB) when it is not a
// terminal; with a terminal the app gets an empty stdin (no pty: a resume call has no telnet
// session). `%remove` powers the VM off after the call. A signal to the call goes to the app over
// sig.sock (the init's pilot.sig reader); a second one, or an app still running after
// MANTLE_PILOT_VM_STOP_TIMEOUT, gets SIGKILL and the call ends with 128+n.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  constants,
} from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { LaunchContext } from '../launch/context.js';
import { lockFile } from '../launch/lock-file.js';
import { privateDir, refuseSymlink } from '../launch/private-dir.js';
import { raise } from '../launch/raise.js';
import { commandAs } from '../launch/run-as.js';
import { processStartTime } from '../podman/resume-state.js';
import { hostTscKhz } from './accel.js';
import { pilotInitrd } from './initrd.js';
import {
  bootTimeoutMs,
  consoleTail,
  serveIncludes,
  shellWords,
  stopTimeoutMs,
  type VmRun,
} from './launch.js';
import { signalExitCode } from '../launch/child.js';
import { createOverlayDisk } from './overlay.js';
import { FileFollower, readSmall } from './output.js';
import { qemuArgs } from './setup.js';

const STDIN_LIMIT = 64 * 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface VmId {
  pid: number;
  start: string;
}

function readVmId(path: string): VmId | undefined {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const [pid, start] = readFileSync(fd, 'utf8').trim().split(/\s+/);
      return pid && start ? { pid: Number(pid), start } : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

const alive = (id: VmId | undefined): boolean => Boolean(id && processStartTime(id.pid) === id.start);

async function readAllStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    parts.push(c as Buffer);
    size += (c as Buffer).length;
    if (size > STDIN_LIMIT)
      await raise('input', {
        code: 'VM_STDIN_TOO_LARGE',
        message: `stdin is larger than ${STDIN_LIMIT} bytes; a resume VM reads it whole before the app starts`,
        hint: 'pass the data as a file inside the VM (include.path) or use a plain (non-resume) flake',
      });
  }
  return Buffer.concat(parts);
}

async function waitFor(
  file: string,
  from: number,
  pattern: RegExp,
  vm: VmId | undefined,
  what: string,
  consoleLog: string,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  const t0 = Date.now();
  for (;;) {
    const m = pattern.exec(readSmall(file, from));
    if (m) return m;
    if ((vm && !alive(vm)) || Date.now() - t0 > timeoutMs)
      return raise('operation', {
        code: 'VM_FAILED',
        message: `the resume VM ${vm && !alive(vm) ? 'stopped' : 'did not answer'} while ${what}`,
        hint: `the VM console ended with:\n${consoleTail(consoleLog)}`,
      });
    await sleep(20);
  }
}

async function startVm(ctx: LaunchContext, r: VmRun, dir: string, vmidFile: string): Promise<VmId> {
  const s = r.setup;
  for (const f of ['stdout', 'stderr', 'exit', 'console.log', 'ctl.sock', 'sig.sock'])
    rmSync(join(dir, f), { force: true });
  const files = { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr'), exit: join(dir, 'exit') };
  for (const f of Object.values(files)) closeSync(openSync(f, 'a', 0o600));
  let overlayDisk: string | undefined;
  if (s.overlayBytes) {
    overlayDisk = join(dir, 'overlay.img');
    // flake-pilot keeps a resume VM's overlay between VM starts
    if (!existsSync(overlayDisk)) await createOverlayDisk(overlayDisk, s.overlayBytes, ctx.env);
  }
  const clientSockets: Record<string, string> = {};
  const servers = [];
  const includes = await serveIncludes(ctx, s, join(dir, 'include.sock'));
  if (includes) {
    clientSockets.include = includes.socket;
    servers.push(includes.server);
  }
  const consoleLog = join(dir, 'console.log');
  const args = qemuArgs(s, {
    accel: r.accel.accel,
    tscKhz: hostTscKhz(),
    initrd: await pilotInitrd(s.initrd, r.cache, ctx.caller.uid),
    console: consoleLog,
    files,
    clientSockets,
    ctlSocket: join(dir, 'ctl.sock'),
    sigSocket: join(dir, 'sig.sock'),
    ...(overlayDisk ? { overlayDisk } : {}),
  });
  const inv = commandAs(r.who, r.qemu, args, ctx.env, []);
  // detached: the VM outlives this call (it is the point of resume)
  const child = spawn(inv.command, inv.args, {
    detached: true,
    stdio: 'ignore',
    env: inv.env,
    ...(inv.uid !== undefined ? { uid: inv.uid, gid: inv.gid! } : {}),
  });
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid!));
  }).catch((err: NodeJS.ErrnoException) =>
    raise('prerequisite', {
      code: 'ENGINE_MISSING',
      message: `${inv.command}: ${err.message}`,
      hint: 'install it: apt-get install qemu-system-x86',
    }),
  );
  child.unref();
  const id = { pid: spawned, start: processStartTime(spawned) ?? '' };
  writeFileSync(vmidFile, `${id.pid} ${id.start}\n`, { mode: 0o600 });
  try {
    await waitFor(files.exit, 0, /^ready$/m, id, 'booting', consoleLog, bootTimeoutMs(ctx.env));
  } catch (err) {
    // a VM that never became ready is not left running
    if (alive(id)) process.kill(id.pid, 'SIGKILL');
    rmSync(vmidFile, { force: true });
    throw err;
  } finally {
    for (const sv of servers) sv.close();
  }
  return id;
}

/** Run the app in the flake's resume VM (starting it when it is not running). */
export async function launchResumeVm(ctx: LaunchContext, r: VmRun): Promise<number> {
  const ids = await privateDir(ctx.resolved.config.firecrackerIdsDir, ctx.caller);
  const base = `${ctx.resolved.name}${ctx.args.instance ?? ''}`;
  const vmidFile = join(ids, `${base}.vmid`);
  const dir = join(ids, `${base}.vm`);
  await refuseSymlink(vmidFile);
  await refuseSymlink(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockFile(join(dir, 'lock')); // one call at a time per VM
  let followers: FileFollower[] = [];
  let ctl: Socket | undefined;
  let sigChannel: Socket | undefined;
  try {
    let vm = readVmId(vmidFile);
    if (!alive(vm)) vm = await startVm(ctx, r, dir, vmidFile);
    const files = { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr'), exit: join(dir, 'exit') };
    for (const f of Object.values(files)) truncateSync(f, 0);
    const stdin = await readAllStdin();
    const words = Buffer.from(shellWords([r.setup.target, ...ctx.args.appArgs])).toString('base64');
    ctl = await new Promise<Socket>((resolve, reject) => {
      const sock = connect(join(dir, 'ctl.sock'), () => resolve(sock));
      sock.once('error', reject);
    });
    ctl.on('error', () => {});
    ctl.write(`RUN ${words} ${stdin.length}\n`);
    ctl.write(stdin);
    followers = [
      new FileFollower(files.stdout, process.stdout),
      new FileFollower(files.stderr, process.stderr),
    ];
    let signalled: NodeJS.Signals | undefined;
    let deadline = Infinity;
    const onSig = (sig: NodeJS.Signals): void => {
      sigChannel ??= connect(join(dir, 'sig.sock')).on('error', () => {});
      if (signalled) {
        sigChannel.write('KILL\n');
        deadline = Math.min(deadline, Date.now() + 2000);
        return;
      }
      signalled = sig;
      sigChannel.write(`${sig.slice(3)}\n`);
      deadline = Date.now() + stopTimeoutMs(ctx.env);
    };
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, onSig);
    try {
      for (;;) {
        followers.forEach((f) => f.pump());
        const m = /^exit (\d+)$/m.exec(readSmall(files.exit));
        if (m) {
          followers.forEach((f) => f.pump());
          if (ctx.args.options.has('remove')) await stopVm(ctl, dir, vmidFile, vm!);
          return Number(m[1]);
        }
        if (signalled && Date.now() > deadline) {
          sigChannel?.write('KILL\n');
          return signalExitCode(signalled);
        }
        if (!alive(vm))
          return await raise('operation', {
            code: 'VM_FAILED',
            message: `${r.setup.file}: the resume VM stopped before the app reported its exit code`,
            hint: `the VM console ended with:\n${consoleTail(join(dir, 'console.log'))}`,
          });
        await sleep(15);
      }
    } finally {
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(sig, onSig);
    }
  } finally {
    sigChannel?.end();
    ctl?.destroy();
    followers.forEach((f) => f.close());
    unlock();
    process.stdin.destroy();
  }
}

// over the call's own connection: qemu's socket takes one client at a time
async function stopVm(ctl: Socket, dir: string, vmidFile: string, vm: VmId): Promise<void> {
  ctl.write('QUIT\n');
  for (let i = 0; i < 300 && alive(vm); i++) await sleep(50);
  if (alive(vm)) process.kill(vm.pid, 'SIGKILL');
  rmSync(vmidFile, { force: true });
  rmSync(dir, { recursive: true, force: true });
}
