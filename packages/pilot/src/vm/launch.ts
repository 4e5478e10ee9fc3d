// vm-pilot: run a vm flake's app in a micro-VM and return its exit code.
//
// qemu `-M microvm` (KVM when it really works, else TCG) boots the flake's kernel with its initrd
// plus vm-pilot's init (guest-init.ts); the rootfs is attached read-only with an overlay for
// writes (a disk of overlay_size, else memory). The app's argv reaches the init over a
// virtio-serial port, stdin streams in over another, stdout/stderr come back through ports that
// qemu writes to files vm-pilot follows (output.ts), and the init reports the exit code last.
// A signal to vm-pilot (TERM, INT, HUP, ...) goes to the app over the pilot.sig port; a second
// one, a signal while the VM still boots, or an app not ending within MANTLE_PILOT_VM_STOP_TIMEOUT
// stops the VM. qemu runs in a session of its own so the terminal's Ctrl-C reaches only vm-pilot.
// With a terminal on stdin the app gets a pty in the VM (telnet.ts; the terminal is raw meanwhile).
// Resume flakes keep the VM (resume.ts); with firecracker installed and KVM working, firecracker
// runs the flake as flake-pilot's firecracker-pilot would (firecracker.ts).
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { WriteStream } from 'node:tty';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runForeground, signalExitCode } from '../launch/child.js';
import type { LaunchContext } from '../launch/context.js';
import { raise } from '../launch/raise.js';
import { commandAs, type RunAs } from '../launch/run-as.js';
import { hostTscKhz, type AccelChoice } from './accel.js';
import { pilotInitrd } from './initrd.js';
import { createOverlayDisk } from './overlay.js';
import { FileFollower, readSmall } from './output.js';
import { qemuArgs, type VmSetup } from './setup.js';
import { nawsMessage, TelnetDecoder, telnetEscape } from './telnet.js';

/** Single-quote every word: the init `eval`s them back into exactly these arguments. */
export function shellWords(argv: readonly string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

const QEMU_MISSING = { debianPackage: 'qemu-system-x86', purpose: 'run vm flakes' };

/** The tail of the VM's console, for errors. */
export function consoleTail(path: string): string {
  const text = readSmall(path, 0);
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-15)
    .join('\n');
}

/** How long a VM may take to reach its init (MANTLE_PILOT_VM_BOOT_TIMEOUT seconds, default 300). */
export function bootTimeoutMs(env: NodeJS.ProcessEnv): number {
  const s = Number(env.MANTLE_PILOT_VM_BOOT_TIMEOUT);
  return (Number.isFinite(s) && s > 0 ? s : 300) * 1000;
}

/**
 * qemu dies with its launcher: setpriv (util-linux) gives it PR_SET_PDEATHSIG, so a launcher
 * killed with SIGKILL leaves no VM behind (not through sudo, which starts its own process).
 */
function guarded<T extends { command: string; args: string[] }>(inv: T): T {
  if (inv.command === 'sudo' || !existsSync('/usr/bin/setpriv')) return inv;
  return {
    ...inv,
    command: '/usr/bin/setpriv',
    args: ['--pdeathsig', 'KILL', '--', inv.command, ...inv.args],
  };
}

/** What every qemu launch of a flake needs decided first. */
export interface VmRun {
  setup: VmSetup;
  qemu: string;
  who: RunAs;
  accel: AccelChoice;
  /** where the cached initrd and the KVM probe result live */
  cache: string;
}

/** Listen on a unix socket; `onClient` gets qemu's connection. */
function serve(path: string, onClient: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((sock) => {
      sock.on('error', () => {});
      onClient(sock);
    });
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

/**
 * The flake's includes as one checked tar stream on a unix socket the VM's pilot.include port
 * connects to (the init unpacks it before the app starts); undefined when there are none.
 */
export async function serveIncludes(
  ctx: LaunchContext,
  s: VmSetup,
  socket: string,
): Promise<{ socket: string; server: Server } | undefined> {
  const flake = ctx.resolved.flake;
  const include = flake.engine === 'vm' ? flake.data.include : undefined;
  if (!include?.tar?.length && !include?.path?.length) return undefined;
  const { includeSources, joinedTarStream, launchIncludeContext } = await import('../provision/includes.js');
  const ic = launchIncludeContext(ctx, s.file);
  const sources = await includeSources(ic, include);
  rmSync(socket, { force: true });
  const server = await serve(socket, (sock) => {
    const stream = joinedTarStream(ic, sources);
    stream.on('error', (err) => {
      ctx.warn(err.message);
      sock.destroy();
    });
    stream.pipe(sock);
  });
  return { socket, server };
}

function touch(path: string, who: RunAs): void {
  closeSync(openSync(path, 'a', 0o600));
  if (who.how === 'setuid') chownSync(path, who.uid, who.gid);
}

/** How long an app may take to end after a passed-on signal before its VM is stopped (MANTLE_PILOT_VM_STOP_TIMEOUT s, default 10). */
export function stopTimeoutMs(env: NodeJS.ProcessEnv): number {
  const s = Number(env.MANTLE_PILOT_VM_STOP_TIMEOUT);
  return (Number.isFinite(s) && s > 0 ? s : 10) * 1000;
}

/** The caller's terminal size (from whichever standard stream is the terminal). */
function windowSize(): { columns: number; rows: number } {
  for (const s of [process.stdout, process.stderr] as WriteStream[])
    if (s.isTTY && s.columns) return { columns: s.columns, rows: s.rows };
  return { columns: 80, rows: 24 };
}

/**
 * Raw mode on the caller's terminal while the app in the VM owns it (its pty echoes, edits and
 * turns Ctrl-C into SIGINT); the returned function restores it, and runs at exit whatever the path.
 */
function rawTerminal(): () => void {
  process.stdin.setRawMode(true);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    try {
      process.stdin.setRawMode(false);
    } catch {
      // the terminal is gone
    }
  };
  process.once('exit', restore);
  return restore;
}

export async function plainVm(ctx: LaunchContext, r: VmRun): Promise<number> {
  const { setup: s, who } = r;
  const tty = process.stdin.isTTY === true;
  let restoreTerminal: (() => void) | undefined;
  let stopTimer: NodeJS.Timeout | undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'vm-pilot-'));
  const servers: Server[] = [];
  const followers: FileFollower[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    if (who.how === 'setuid') chownSync(tmp, who.uid, who.gid);
    // qemu running as another user cannot read the caller's cache: then the initrd goes in tmp
    const initrd = await pilotInitrd(s.initrd, who.how === 'setuid' ? tmp : r.cache, ctx.caller.uid);
    const files = { stdout: join(tmp, 'stdout'), stderr: join(tmp, 'stderr'), exit: join(tmp, 'exit') };
    for (const f of Object.values(files)) touch(f, who);
    let overlayDisk: string | undefined;
    if (s.overlayBytes) {
      overlayDisk = join(tmp, 'overlay.img');
      await createOverlayDisk(overlayDisk, s.overlayBytes, ctx.env);
      if (who.how === 'setuid') chownSync(overlayDisk, who.uid, who.gid);
    }
    const words = shellWords([s.target, ...ctx.args.appArgs]);
    const clientSockets: Record<string, string> = {
      cmd: join(tmp, 'cmd.sock'),
      stdin: join(tmp, 'stdin.sock'),
      sig: join(tmp, 'sig.sock'),
    };
    servers.push(await serve(clientSockets.cmd!, (sock) => sock.end(words)));
    servers.push(
      await serve(clientSockets.stdin!, (sock) => {
        process.stdin.on('error', () => sock.end());
        if (!tty) {
          process.stdin.pipe(sock);
          return;
        }
        // telnet to the VM's telnetd: the window size first, then keystrokes (and new sizes)
        const naws = (): void => {
          const w = windowSize();
          sock.write(nawsMessage(w.columns, w.rows));
        };
        naws();
        process.stdout.on('resize', naws);
        sock.on('close', () => process.stdout.off('resize', naws));
        process.stdin.on('data', (d: Buffer) => sock.write(telnetEscape(d)));
        process.stdin.on('end', () => sock.end());
      }),
    );
    let sigChannel: Socket | undefined;
    servers.push(await serve(clientSockets.sig!, (sock) => (sigChannel = sock)));
    const includes = await serveIncludes(ctx, s, join(tmp, 'include.sock'));
    if (includes) {
      clientSockets.include = includes.socket;
      servers.push(includes.server);
    }
    if (who.how === 'setuid') for (const p of Object.values(clientSockets)) chownSync(p, who.uid, who.gid);
    const consoleLog = join(tmp, 'console.log');
    const args = qemuArgs(s, {
      accel: r.accel.accel,
      tscKhz: hostTscKhz(),
      initrd,
      console: consoleLog,
      files,
      clientSockets,
      ...(overlayDisk ? { overlayDisk } : {}),
      ...(tty ? { tty: { term: ctx.env.TERM } } : {}),
    });
    const inv = guarded(commandAs(who, r.qemu, args, ctx.env, []));
    const telnet = tty ? new TelnetDecoder() : undefined;
    followers.push(
      new FileFollower(files.stdout, process.stdout, 0, telnet && ((c) => telnet.decode(c))),
      new FileFollower(files.stderr, process.stderr),
    );
    if (tty) restoreTerminal = rawTerminal();
    let signalled: NodeJS.Signals | undefined;
    let bootTimedOut = false;
    const started = Date.now();
    const bootTimeout = bootTimeoutMs(ctx.env);
    let booted = false;
    const code = await runForeground(inv.command, inv.args, {
      env: inv.env,
      ...(inv.uid !== undefined ? { uid: inv.uid, gid: inv.gid! } : {}),
      missing: QEMU_MISSING,
      detached: true,
      forwardTerminalSignals: true,
      onSpawn: (child) => {
        timer = setInterval(() => {
          followers.forEach((f) => f.pump());
          if (booted) return;
          booted = /^booted$/m.test(readSmall(files.exit));
          // a guest that hangs while booting would keep the app's caller waiting forever
          if (!booted && Date.now() - started > bootTimeout) {
            bootTimedOut = true;
            child.kill('SIGKILL');
          }
        }, 20);
      },
      onSignal: (signal, child) => {
        // a VM still booting, or a second signal: stop the VM (and with it the app)
        if (!booted || !sigChannel || signalled) {
          signalled ??= signal;
          return false;
        }
        // the first one goes to the app; an app that does not end in time loses its VM
        signalled = signal;
        sigChannel.write(`${signal.slice(3)}\n`);
        stopTimer = setTimeout(() => child.kill('SIGTERM'), stopTimeoutMs(ctx.env));
        return true;
      },
    });
    clearInterval(timer);
    followers.forEach((f) => f.pump());
    const m = /^exit (\d+)/m.exec(readSmall(files.exit));
    if (m) return Number(m[1]);
    // qemu ends with 0 on SIGTERM/SIGINT: the caller must see that the app was stopped
    if (signalled) return signalExitCode(signalled);
    if (bootTimedOut)
      return await raise('operation', {
        code: 'VM_BOOT_TIMEOUT',
        message: `${s.file}: the VM did not start its init within ${bootTimeout / 1000} s; stopped it`,
        hint: `the VM console ended with:\n${consoleTail(consoleLog)}\n(MANTLE_PILOT_VM_BOOT_TIMEOUT=SECONDS allows more on a slow host)`,
      });
    const hint = existsSync(consoleLog)
      ? `the VM console ended with:\n${consoleTail(consoleLog)}`
      : undefined;
    return await raise('operation', {
      code: 'VM_FAILED',
      message: `${s.file}: the VM ended (qemu exit ${code}) without reporting the app's exit code`,
      ...(hint ? { hint } : {}),
    });
  } finally {
    clearInterval(timer);
    clearTimeout(stopTimer);
    restoreTerminal?.();
    followers.forEach((f) => f.close());
    for (const sv of servers) sv.close();
    process.stdin.unpipe();
    process.stdin.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}
