import { open, readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { InterruptedError } from '@mantle/core/errors';

/**
 * Waiting for a booting machine to answer, quickly and without hanging.
 *
 * qemu's user-mode network accepts a forwarded TCP connection on the host side before the
 * guest answers, so a plain connect succeeds even while the guest is still in its firmware,
 * and an SSH handshake started then can sit for its whole timeout. So we wait for what really
 * means "sshd listens": the SSH banner (`SSH-2.0-...`) on a fresh connection, probing often
 * with short-lived connections, or, for images that announce it, the ready marker on the
 * serial console.
 */

/** The last `lines` non-empty lines of the console file ('' when there is none). */
export async function consoleTail(path: string, lines = 30): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return '';
  }
  return text
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}

/** The size of a file now (0 when missing): where to start looking for a marker. */
export async function fileSize(path: string): Promise<number> {
  try {
    const fh = await open(path, 'r');
    try {
      return (await fh.stat()).size;
    } finally {
      await fh.close();
    }
  } catch {
    return 0;
  }
}

/** The console text after byte `offset` ('' when there is none yet). */
async function consoleAfter(path: string, offset: number): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = (await fh.stat()).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    await fh.read(buf, 0, buf.length, offset);
    return buf.toString('latin1');
  } finally {
    await fh.close();
  }
}

// A panicked kernel never answers: fail at once instead of waiting out the SSH budget.
const KERNEL_PANIC = /Kernel panic - not syncing[^\r\n]*/;

/** One probe: connect and wait for the server's first bytes to be an SSH banner. */
export function probeSshBanner(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let got = '';
    const sock: Socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1');
      if (got.length >= 4) done(got.startsWith('SSH-'));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

export interface WaitForSshOptions {
  port: number;
  /** absolute time (ms since epoch) to give up at */
  deadline: number;
  /**
   * console file and marker (e.g. `mantle-tiny: ready`) to watch from `offset` on; with a
   * marker, banner probes only run as a slow fallback (every probe costs the booting guest a
   * little: a TCP handshake through qemu's user network)
   */
  console?: { path: string; marker?: string; offset: number };
  /**
   * SSH banner probes: 'fast' (the default without a marker), 'fallback' (slow, the default
   * with one), 'off' (after a reboot, when the old system's sshd may still answer). (A machine
   * restored from a snapshot is not probed: its sshd listens once it runs, and its first login
   * is the first connection.)
   */
  probes?: 'fast' | 'fallback' | 'off';
  /** resolves (with a reason) when waiting makes no sense any more, e.g. qemu exited */
  stop: Promise<string>;
  signal?: AbortSignal;
}

export type WaitOutcome =
  | { kind: 'ready'; via: 'banner' | 'marker' }
  | { kind: 'timeout' }
  | { kind: 'stopped'; reason: string }
  | { kind: 'panic'; line: string };

// A new probe every PROBE_INTERVAL_MS, each giving up after PROBE_TIMEOUT_MS without a banner
// (sshd sends it the moment it accepts), at most MAX_IN_FLIGHT at a time; slower when the
// console marker is watched too.
const PROBE_INTERVAL_MS = 200;
const PROBE_TIMEOUT_MS = 2500;
const MAX_IN_FLIGHT = 4;
const FALLBACK_PROBE_INTERVAL_MS = 1000;
const FALLBACK_MAX_IN_FLIGHT = 1;
const MARKER_POLL_MS = 50;

/**
 * Wait until sshd answers on 127.0.0.1:port (or the console shows the ready marker); give up
 * early when qemu stops or the console shows a kernel panic.
 */
export function waitForSsh(opts: WaitForSshOptions): Promise<WaitOutcome> {
  return new Promise<WaitOutcome>((resolve, reject) => {
    let finished = false;
    let inFlight = 0;
    const timers: NodeJS.Timeout[] = [];
    const finish = (outcome: WaitOutcome | Error): void => {
      if (finished) return;
      finished = true;
      // clearTimeout also clears intervals in Node.
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = (): void => finish(new InterruptedError('abort signal'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    void opts.stop.then((reason) => finish({ kind: 'stopped', reason }));
    timers.push(setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, opts.deadline - Date.now())));

    const marker = opts.console?.marker;
    const probes = opts.probes ?? (marker ? 'fallback' : 'fast');
    const maxInFlight =
      probes === 'fast' ? MAX_IN_FLIGHT : probes === 'fallback' ? FALLBACK_MAX_IN_FLIGHT : 0;
    timers.push(
      setInterval(
        () => {
          if (finished || inFlight >= maxInFlight) return;
          inFlight++;
          const timeout = Math.min(PROBE_TIMEOUT_MS, Math.max(100, opts.deadline - Date.now()));
          void probeSshBanner(opts.port, timeout).then((ok) => {
            inFlight--;
            if (ok) finish({ kind: 'ready', via: 'banner' });
          });
        },
        probes === 'fast' ? PROBE_INTERVAL_MS : FALLBACK_PROBE_INTERVAL_MS,
      ),
    );
    const con = opts.console;
    if (con) {
      // Read only what was added since the last look, keeping a little overlap so a line
      // split across two reads still matches.
      let pos = con.offset;
      let carry = '';
      let busy = false;
      timers.push(
        setInterval(() => {
          if (finished || busy) return;
          busy = true;
          void consoleAfter(con.path, pos)
            .then((added) => {
              if (added === '') return;
              pos += Buffer.byteLength(added, 'latin1');
              const text = carry + added;
              carry = text.slice(-256);
              const panic = KERNEL_PANIC.exec(text);
              if (panic) finish({ kind: 'panic', line: panic[0].trim() });
              else if (marker && text.includes(marker)) finish({ kind: 'ready', via: 'marker' });
            })
            .finally(() => (busy = false));
        }, MARKER_POLL_MS),
      );
    }
  });
}
