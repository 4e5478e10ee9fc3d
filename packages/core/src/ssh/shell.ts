import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { SshErrorCode, sshOperationError } from './errors.js';

export interface ShellOptions {
  /** keys typed by the user (default process.stdin); put into raw mode while the shell runs if a TTY */
  stdin?: Readable;
  /** where the shell's output goes (default process.stdout); its size is the pty's, followed on resize */
  stdout?: Writable;
  /** where stderr goes (default process.stderr); with a pty the server merges it into stdout */
  stderr?: Writable;
  /** $TERM for the remote pty (default: ours, or xterm-256color) */
  term?: string;
}

type TtyIn = Readable & { isTTY?: boolean; isRaw?: boolean; setRawMode?: (raw: boolean) => unknown };
type TtyOut = Writable & { isTTY?: boolean; columns?: number; rows?: number };

/** Run an interactive shell on a pty; resolves with its exit code (128+n when killed by signal n). */
export function runInteractiveShell(
  openShell: (window: PseudoTtyOptions) => Promise<ClientChannel>,
  opts: ShellOptions,
  target: string,
): Promise<number> {
  const stdin = (opts.stdin ?? process.stdin) as TtyIn;
  const stdout = (opts.stdout ?? process.stdout) as TtyOut;
  const stderr = opts.stderr ?? process.stderr;
  const size = (): { rows: number; cols: number } => ({
    rows: stdout.isTTY && stdout.rows ? stdout.rows : 24,
    cols: stdout.isTTY && stdout.columns ? stdout.columns : 80,
  });
  const term = opts.term ?? process.env.TERM ?? 'xterm-256color';

  return openShell({ term, ...size(), height: 0, width: 0 }).then(
    (ch) =>
      new Promise<number>((resolve, reject) => {
        // Raw mode passes Ctrl-C, arrows and tab to the remote shell instead of acting locally.
        const wasRaw = stdin.isRaw === true;
        const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
        if (raw) stdin.setRawMode?.(true);
        const onResize = (): void => {
          const s = size();
          ch.setWindow(s.rows, s.cols, 0, 0);
        };
        if (stdout.isTTY) stdout.on('resize', onResize);

        const onStdinEnd = (): void => {
          ch.end();
        };
        ch.on('data', (d: Buffer) => stdout.write(d));
        ch.stderr.on('data', (d: Buffer) => stderr.write(d));
        stdin.on('data', onData);
        stdin.once('end', onStdinEnd);
        stdin.resume();
        function onData(d: Buffer | string): void {
          ch.write(d);
        }
        // the exit status arrives with 'close' (see exec in client.ts for why not 'exit')
        ch.once('close', (c?: number | null, sig?: string) => {
          let code: number | undefined;
          if (typeof c === 'number') code = c;
          else if (c === null) {
            const n = sig ? (constants.signals as Record<string, number>)[sig] : undefined;
            code = 128 + (n ?? 9);
          }
          stdin.off('data', onData);
          stdin.off('end', onStdinEnd);
          // Let the process exit when the shell is done: stop reading the terminal.
          if (stdin === process.stdin) stdin.pause();
          if (raw) stdin.setRawMode?.(wasRaw);
          if (stdout.isTTY) stdout.off('resize', onResize);
          if (code === undefined) {
            reject(
              sshOperationError(
                SshErrorCode.ConnectionLost,
                `the interactive shell on ${target} ended without an exit status`,
              ),
            );
          } else {
            resolve(code);
          }
        });
      }),
  );
}
