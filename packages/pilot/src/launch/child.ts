// Run the engine (podman, bwrap, qemu) as the app's stand-in: the caller's stdin, stdout, stderr
// and terminal go straight to it, signals sent to the launcher are passed on, and the exit code
// (or 128+signal) comes back. node:child_process is used directly, not execa: this is the hot
// path of every flake call (execa's import alone costs more than the launch may add) and the
// launcher needs the raw ChildProcess to forward signals to.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import { raise } from './raise.js';

/** Signals a launcher passes on to its engine. */
const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
type Forwarded = (typeof FORWARDED)[number];

// With a terminal, Ctrl-C/Ctrl-\ already reach the whole foreground process group; an engine
// that proxies signals (podman run/start/attach, bwrap, qemu) got them already, and passing
// them on again would deliver them twice.
const FROM_TERMINAL: readonly Forwarded[] = ['SIGINT', 'SIGQUIT'];

export interface ForegroundOptions {
  env: NodeJS.ProcessEnv;
  /** run the engine as this user (the launcher must be root) */
  uid?: number;
  gid?: number;
  /** extra pipes/fds for the child (index 3 and up), e.g. qemu's channels */
  extraStdio?: SpawnOptions['stdio'];
  /** called for a forwarded signal instead of (or besides) killing the child; return true when handled */
  onSignal?: (signal: NodeJS.Signals, child: ChildProcess) => boolean | void;
  /** the engine does not pass on what the terminal sends it (podman exec): forward SIGINT/SIGQUIT too */
  forwardTerminalSignals?: boolean;
  /** what to tell the user when the program is missing */
  missing?: { debianPackage: string; purpose: string };
  /**
   * start the engine in a session of its own, out of the terminal's reach (vm-pilot: qemu would
   * quit on the terminal's Ctrl-C, which must go to the app in the VM instead)
   */
  detached?: boolean;
  /** sees the child right after it was spawned (to read extra pipes) */
  onSpawn?: (child: ChildProcess) => void;
}

/** True when any of our standard streams is a terminal (so we run in a terminal's process group). */
function onTerminal(): boolean {
  return isatty(0) || isatty(1) || isatty(2);
}

/** Exit code for a program ended by `signal`, as shells report it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Start `command` in the foreground; resolves with its exit code once it ended. */
export async function runForeground(
  command: string,
  args: readonly string[],
  opts: ForegroundOptions,
): Promise<number> {
  const extra = Array.isArray(opts.extraStdio) ? opts.extraStdio : [];
  const terminal = onTerminal();
  // Handlers go in before the spawn: a signal sent the moment the app shows life (a caller that
  // waits for its first output, then sends SIGTERM) could otherwise land between spawn() and
  // process.on() and kill the launcher itself, losing the app's exit code (seen under load).
  // Node runs handlers from its event loop, so by the time one runs, `engine.child` is set.
  const engine: { child?: ChildProcess } = {};
  const handlers = new Map<Forwarded, () => void>();
  for (const sig of FORWARDED) {
    const handler = (): void => {
      const { child } = engine;
      if (!child || (terminal && FROM_TERMINAL.includes(sig) && !opts.forwardTerminalSignals)) return;
      if (opts.onSignal?.(sig, child)) return;
      child.kill(sig);
    };
    handlers.set(sig, handler);
    process.on(sig, handler);
  }
  const spawned = spawn(command, args, {
    stdio: ['inherit', 'inherit', 'inherit', ...extra],
    env: opts.env,
    ...(opts.detached ? { detached: true } : {}),
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  engine.child = spawned;
  opts.onSpawn?.(spawned);
  try {
    return await new Promise<number>((resolve, reject) => {
      spawned.once('error', reject);
      spawned.once('exit', (code, signal) => resolve(code ?? (signal ? signalExitCode(signal) : 1)));
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return raise('prerequisite', {
        code: 'ENGINE_MISSING',
        message: `${command} was not found on PATH${opts.missing ? ` (needed to ${opts.missing.purpose})` : ''}`,
        hint: opts.missing
          ? `install it: apt-get install ${opts.missing.debianPackage}`
          : `install ${command}`,
        details: { tool: command },
      });
    throw err;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
