import type { Logger } from '@mantle/core/log';

/** One long operation's progress: bytes done of a total. */
export interface ProgressTask {
  /** set the bytes done so far (never decreases) */
  update(done: number): void;
  /** the operation ended (bar removed / final line logged) */
  finish(): void;
}

/** Makes a ProgressTask per operation; commands pick a bar or log lines, libraries get none. */
export type ProgressFactory = (label: string, total: number) => ProgressTask;

/** A ProgressFactory that reports nothing. */
export const noProgress: ProgressFactory = () => ({ update: () => {}, finish: () => {} });

export interface ProgressOptions {
  /** where the bar goes (stderr: stdout stays data) */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  logger: Logger;
  /** log lines at most this often when not on a TTY (ms) */
  intervalMs?: number;
}

/**
 * A bar (cli-progress, loaded on first use) when `stream` is a TTY, otherwise a log line at every
 * tenth of the way or every `intervalMs`, whichever comes later, so CI logs stay short.
 */
export function createProgress(opts: ProgressOptions): ProgressFactory {
  if (opts.stream.isTTY && opts.logger.level !== 'silent') return barProgress(opts.stream);
  return logProgress(opts.logger, opts.intervalMs ?? 10_000);
}

function logProgress(logger: Logger, intervalMs: number): ProgressFactory {
  return (label, total) => {
    const start = Date.now();
    let last = start;
    let lastTenth = 0;
    let done = 0;
    return {
      update: (n) => {
        done = Math.max(done, n);
        const tenth = total > 0 ? Math.floor((done / total) * 10) : 0;
        const now = Date.now();
        if (tenth > lastTenth && now - last >= Math.min(intervalMs, 1000)) {
          lastTenth = tenth;
          last = now;
          logger.info(`${label}: ${percent(done, total)} (${mib(done)} of ${mib(total)} MiB)`);
        } else if (now - last >= intervalMs) {
          last = now;
          logger.info(`${label}: ${percent(done, total)} (${mib(done)} of ${mib(total)} MiB)`);
        }
      },
      finish: () => {
        const secs = (Date.now() - start) / 1000;
        logger.info(`${label}: done, ${mib(done)} MiB in ${secs.toFixed(1)} s`);
      },
    };
  };
}

type CliProgress = typeof import('cli-progress');

// cli-progress is CommonJS and small, but `--help` should not pay for it: required on first bar.
let cliProgress: CliProgress | undefined;
async function loadCliProgress(): Promise<CliProgress> {
  cliProgress ??= (await import('cli-progress')).default;
  return cliProgress;
}

function barProgress(stream: NodeJS.WritableStream): ProgressFactory {
  // The module is loaded eagerly here (a bar is about to be drawn) but asynchronously: updates
  // that arrive before it is ready are kept and drawn once it is.
  const lib = loadCliProgress();
  return (label, total) => {
    let bar: InstanceType<CliProgress['SingleBar']> | undefined;
    let pending = 0;
    let finished = false;
    void lib.then((m) => {
      if (finished) return;
      bar = new m.SingleBar(
        {
          stream: stream,
          format: `${label} [{bar}] {percentage}% | {doneMiB}/{totalMiB} MiB | {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        m.Presets.shades_classic,
      );
      bar.start(total, pending, { doneMiB: mib(pending), totalMiB: mib(total) });
    });
    return {
      update: (n) => {
        pending = Math.max(pending, n);
        bar?.update(pending, { doneMiB: mib(pending) });
      },
      finish: () => {
        finished = true;
        bar?.stop();
      },
    };
  };
}

function percent(done: number, total: number): string {
  return total > 0 ? `${Math.min(100, Math.floor((done / total) * 100))}%` : '?%';
}

function mib(n: number): string {
  return (n / 1024 / 1024).toFixed(0);
}
