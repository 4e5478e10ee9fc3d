import { connect, type Socket } from 'node:net';
import { OperationError } from '@mantle/core/errors';

/**
 * A minimal QMP (qemu machine protocol) client over a unix socket: the greeting, then one
 * command at a time, each answered by `{"return": ...}` or `{"error": ...}`; asynchronous
 * events in between go to the `onEvent` listeners. kola uses it to save a machine's state
 * (`migrate`), to restore one (`migrate-incoming`) and to learn of guest resets and shutdowns
 * (`RESET`, `SHUTDOWN` events) without asking the guest.
 */
export interface QmpClient {
  /** run a command; rejects with an OperationError carrying qemu's error class and text */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  /** call `listener` for every event from now on; returns the unsubscribe function */
  onEvent(listener: (event: QmpEvent) => void): () => void;
  close(): void;
}

/** An asynchronous QMP message, e.g. `{"event": "RESET", "data": {"guest": true, "reason": "guest-reset"}}`. */
interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

/** Connect to a QMP socket qemu created (`-qmp unix:PATH,server=on,wait=off`), retrying until it exists. */
export async function connectQmp(
  path: string,
  opts: { timeoutMs?: number; signal?: AbortSignal; exited?: Promise<unknown> } = {},
): Promise<QmpClient> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let gone = false;
  void opts.exited?.then(() => (gone = true));
  for (;;) {
    if (opts.signal?.aborted) throw new OperationError({ code: 'QEMU_QMP', message: 'interrupted' });
    const sock = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (sock) return handshake(sock);
    if (gone || Date.now() > deadline) {
      throw new OperationError({
        code: 'QEMU_QMP',
        message: `cannot connect to qemu's QMP socket ${path}${gone ? ': qemu exited' : ''}`,
        hint: 'look at the qemu message in the machine log',
      });
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function handshake(sock: Socket): Promise<QmpClient> {
  let buffer = '';
  const waiting: ((msg: Record<string, unknown> | Error) => void)[] = [];
  let closed: Error | undefined;
  const listeners = new Set<(event: QmpEvent) => void>();
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if ('event' in msg) {
        for (const l of [...listeners]) l(msg as unknown as QmpEvent);
        continue;
      }
      waiting.shift()?.(msg);
    }
  });
  const fail = (err: Error): void => {
    closed ??= err;
    for (const w of waiting.splice(0)) w(err);
  };
  sock.on('error', (err) => fail(err));
  sock.on('close', () => fail(new Error('qemu closed the QMP connection')));

  const next = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(qmpError(closed.message));
      waiting.push((m) => (m instanceof Error ? reject(qmpError(m.message)) : resolve(m)));
    });
  // Serialise commands: QMP answers in order, one reply per command.
  let chain: Promise<unknown> = Promise.resolve();
  const execute = <T>(command: string, args?: Record<string, unknown>): Promise<T> => {
    const run = async (): Promise<T> => {
      const reply = next();
      sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
      const msg = await reply;
      if ('error' in msg) {
        const e = msg.error as { class?: string; desc?: string };
        throw qmpError(`${command}: ${e.desc ?? 'error'} (${e.class ?? 'unknown'})`);
      }
      return msg.return as T;
    };
    const p = chain.then(run, run);
    chain = p.catch(() => undefined);
    return p;
  };

  await next(); // the greeting
  await execute('qmp_capabilities');
  const onEvent = (listener: (event: QmpEvent) => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return { execute, onEvent, close: () => sock.destroy() };
}

function qmpError(message: string): OperationError {
  return new OperationError({
    code: 'QEMU_QMP',
    message: `qemu QMP: ${message}`,
    hint: 'look at the qemu message in the machine log',
  });
}
