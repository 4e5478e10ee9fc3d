/**
 * A reader that goes away early (`kola list | head -1`) must end a mantle tool quietly, as it
 * ends `ls`. Node ignores SIGPIPE and reports the closed pipe as an EPIPE 'error' event on the
 * stream instead; without a listener that event is an uncaught exception with a stack trace.
 * process.stdout is never marked destroyed by it either (Node keeps the fd), so every later
 * write fails again: we remember which streams are closed and drop what is written to them.
 */

type OnClosed = (err: NodeJS.ErrnoException) => void;

const closed = new WeakMap<NodeJS.WritableStream, NodeJS.ErrnoException>();
const callbacks = new WeakMap<NodeJS.WritableStream, OnClosed | undefined>();

/** The error codes that mean "the reader is gone", not "the write failed". */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

/** True once a write to `stream` failed: later writes are dropped. */
export function isOutputClosed(stream: NodeJS.WritableStream): boolean {
  return closed.has(stream);
}

/** The error a closed stream failed with (undefined while it is open). */
export function outputError(stream: NodeJS.WritableStream): NodeJS.ErrnoException | undefined {
  return closed.get(stream);
}

/** True when the error says the reader went away (a closed pipe), which is no failure of ours. */
export function isReaderGone(err: NodeJS.ErrnoException | undefined): boolean {
  return err?.code !== undefined && READER_GONE.has(err.code);
}

/**
 * Watch a stream for write errors: the first one marks it closed and calls `onClosed` (replacing
 * the callback of an earlier watch of the same stream). The error listener stays for the life of
 * the stream: a write buffered before the pipe closed can fail after the command returned, and
 * that must not crash the process either.
 */
export function watchOutput(stream: NodeJS.WritableStream, onClosed?: OnClosed): void {
  if (!callbacks.has(stream)) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (closed.has(stream)) return;
      closed.set(stream, err);
      callbacks.get(stream)?.(err);
    });
  }
  callbacks.set(stream, onClosed);
}

/** Stop calling the `onClosed` of a stream; its errors are still swallowed. */
export function unwatchOutput(stream: NodeJS.WritableStream): void {
  if (callbacks.has(stream)) callbacks.set(stream, undefined);
}

/** Write unless the stream is closed: a reader that went away is never an error here. */
export function writeTo(stream: NodeJS.WritableStream, text: string): void {
  if (!closed.has(stream)) stream.write(text);
}
