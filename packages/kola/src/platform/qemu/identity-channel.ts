import { connect, type Socket } from 'node:net';
import { OperationError } from '@mantle/core/errors';
import type { ExecResult } from '../types.js';

/**
 * kola's identity channel: a virtio-serial port named `org.mantle.identity` on snapshot
 * templates and the machines restored from them, its host end a unix socket of qemu's (a
 * `socket` chardev, server=on, wait=off).
 *
 * Why: a restored machine needs its own identity (reidentify.ts) before a test sees it. Over
 * SSH that took a login of its own (root's, under TCG a whole key exchange and a shell on the
 * guest's one vCPU; on the systemd image sudo) besides the default user's. Through the port no
 * login is needed for it: the guest's agent (the tiny image's /init, the systemd image's
 * mantle-identity.service) opened the port and blocks reading it when the template is saved; a
 * blocked read survives the snapshot, so a restored copy runs the script kola writes the moment
 * it resumes, while the default user's login goes on.
 *
 * Protocol, one line each way (the guest's agent is a few lines of POSIX sh):
 *   guest -> host  `mantle-identity hello`            once the agent reads the port
 *   host -> guest  base64 of a shell script (no newlines)
 *   guest -> host  `mantle-identity done RC OUTPUT`   OUTPUT: the script's output, one line
 * A guest without an agent never says hello (a template then records no channel, and its
 * copies are given their identity over SSH as before).
 */
export const IDENTITY_PORT_NAME = 'org.mantle.identity';

const HELLO = 'mantle-identity hello';
const DONE = 'mantle-identity done ';

export interface IdentityChannel {
  /** true once the guest's agent said hello (on this connection) */
  readonly hello: boolean;
  /** run a shell script as root through the agent */
  run(script: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecResult>;
  close(): void;
}

/** Connect to the channel's socket qemu created, retrying until it exists. */
export async function connectIdentityChannel(
  path: string,
  opts: { timeoutMs?: number; signal?: AbortSignal; exited?: Promise<unknown>; askHello?: boolean } = {},
): Promise<IdentityChannel> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let gone = false;
  void opts.exited?.then(() => (gone = true));
  for (;;) {
    if (opts.signal?.aborted) throw channelError(`connecting to ${path} was interrupted`);
    const sock = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (sock) {
      // an empty line asks the agent to say hello (its own hello may have gone out before
      // kola connected: qemu drops what a guest writes to an unconnected socket)
      if (opts.askHello) sock.write('\n');
      return channel(sock);
    }
    if (gone || Date.now() > deadline)
      throw channelError(`cannot connect to qemu's identity channel ${path}${gone ? ': qemu exited' : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function channel(sock: Socket): IdentityChannel {
  let buffer = '';
  let hello = false;
  let closed: string | undefined;
  let answer: ((line: string | Error) => void) | undefined;
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === HELLO) {
        hello = true;
      } else if (line.startsWith(DONE)) {
        answer?.(line.slice(DONE.length));
      }
    }
  });
  const end = (why: string): void => {
    closed ??= why;
    answer?.(new Error(why));
  };
  sock.on('error', (err) => end(err.message));
  sock.on('close', () => end('qemu closed the identity channel'));

  return {
    get hello() {
      return hello;
    },
    run: (script, { timeoutMs, signal }) =>
      new Promise<ExecResult>((resolve, reject) => {
        if (closed) return reject(channelError(closed));
        if (answer) return reject(channelError('the identity channel runs one script at a time'));
        const done = (r: string | Error): void => {
          answer = undefined;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (r instanceof Error) return reject(channelError(r.message));
          const sp = r.indexOf(' ');
          const code = Number(sp < 0 ? r : r.slice(0, sp));
          resolve({
            stdout: sp < 0 ? '' : r.slice(sp + 1),
            stderr: '',
            exitCode: Number.isInteger(code) ? code : 255,
            signal: undefined,
          });
        };
        const onAbort = (): void => done(new Error('interrupted'));
        const timer = setTimeout(
          () => done(new Error(`the guest's identity agent did not answer within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
        signal?.addEventListener('abort', onAbort, { once: true });
        answer = done;
        sock.write(`${Buffer.from(script).toString('base64')}\n`);
      }),
    close: () => sock.destroy(),
  };
}

function channelError(message: string): OperationError {
  return new OperationError({
    code: 'QEMU_IDENTITY_CHANNEL',
    message: `kola's identity channel: ${message}`,
    hint: 'run with --no-snapshot to boot every machine',
  });
}
