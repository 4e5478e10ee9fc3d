import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Logger } from '@mantle/core/log';
import { findTool } from '@mantle/core/exec';

/**
 * Children that must never outlive kola (qemu, swtpm). Three layers, because no single one
 * covers every way the kola process can end:
 *  1. destroy()/onCleanup: the normal path and SIGINT/SIGTERM (runMain runs the cleanups).
 *  2. a process 'exit' hook: SIGKILLs what is still alive and removes temp dirs synchronously,
 *     when something calls process.exit() before the cleanups ran.
 *  3. the kernel: every child is exec'd through `setpriv --pdeathsig KILL` (util-linux), so the
 *     kernel SIGKILLs it when kola dies, even by SIGKILL or a crash. qemu itself has no such
 *     option, and the death signal survives the exec of qemu.
 */

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildHandle {
  readonly pid: number;
  readonly command: string;
  /** resolves when the process has exited (never rejects) */
  readonly exited: Promise<ExitInfo>;
  /** undefined while running */
  exitInfo(): ExitInfo | undefined;
  /** the last lines the process wrote on stderr (and stdout) */
  outputTail(maxLines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnGuardedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** sees stdout as it arrives (besides the kept tail) */
  onStdout?: (chunk: Buffer) => void;
}

const OUTPUT_KEEP = 32 * 1024;
const livePids = new Set<number>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
let setprivPath: Promise<string | undefined> | undefined;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of liveDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort: the process is ending
      }
    }
  });
}

/** Remove this directory at process exit unless it was released before. */
export function trackTempDir(dir: string): () => void {
  installExitHook();
  liveDirs.add(dir);
  return () => void liveDirs.delete(dir);
}

/** Spawn a long-running helper that dies with kola (see the module comment). */
export async function spawnGuarded(
  command: string,
  args: readonly string[],
  opts: SpawnGuardedOptions = {},
): Promise<ChildHandle> {
  installExitHook();
  setprivPath ??= findTool('setpriv');
  const setpriv = await setprivPath;
  const [file, argv] = setpriv
    ? [setpriv, ['--pdeathsig', 'KILL', '--', command, ...args]]
    : [command, [...args]];
  opts.logger?.debug(`spawn: ${[command, ...args].join(' ')}`);
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_KEEP) output = output.slice(-OUTPUT_KEEP);
  };
  child.stdout.on('data', keep);
  if (opts.onStdout) child.stdout.on('data', opts.onStdout);
  child.stderr.on('data', keep);
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (err) => {
      keep(Buffer.from(`${command}: ${err.message}\n`));
      info ??= { code: -1, signal: null };
      resolve(info);
    });
    // 'close', not 'exit': by then stdout/stderr are drained, so error messages are complete.
    child.once('close', (code, signal) => {
      info = { code, signal };
      if (child.pid !== undefined) livePids.delete(child.pid);
      resolve(info);
    });
  });
  // spawn errors (ENOENT) arrive asynchronously: give them a tick so pid is meaningful.
  await new Promise((r) => setImmediate(r));
  const pid = child.pid ?? -1;
  if (pid > 0 && info === undefined) livePids.add(pid);

  const stop = async (graceMs = 3000): Promise<void> => {
    if (info !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return {
    pid,
    command,
    exited,
    exitInfo: () => info,
    outputTail: (maxLines = 30) =>
      output
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-maxLines)
        .join('\n'),
    stop,
  };
}

/** How a process ended, for messages: `exit code 1` or `signal SIGKILL`. */
export function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code ?? 'unknown'}`;
}
