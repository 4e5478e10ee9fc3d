// The shapes of an SSH connection and its commands, shared by the client, file transfer and
// their callers (types only, so client.ts and transfer.ts need not import each other's types).
import type { Readable } from 'node:stream';
import type { PseudoTtyOptions } from 'ssh2';
import type { Logger } from '../log/logger.js';

/** What a remote command produced. */
export interface SshExecResult {
  stdout: string;
  stderr: string;
  /** the exit status; -1 when the command was killed by a signal */
  exitCode: number;
  /** e.g. `SIGTERM` when the command was killed by a signal */
  signal: string | undefined;
}

export interface SshExecOptions {
  /** fed to the command's stdin, then EOF; without it stdin is at EOF from the start */
  stdin?: string | Uint8Array | Readable;
  /** kill the command (signal KILL, then close the channel) after this long: SSH_EXEC_TIMEOUT */
  timeoutMs?: number;
  /** called with every chunk of stdout as it arrives (the result still holds all of it) */
  onStdout?: (chunk: Buffer) => void;
  /** called with every chunk of stderr as it arrives */
  onStderr?: (chunk: Buffer) => void;
  /** abort the command (InterruptedError), e.g. on Ctrl-C */
  signal?: AbortSignal;
  /** allocate a pseudo-terminal (stdout and stderr then arrive merged on stdout) */
  pty?: boolean | PseudoTtyOptions;
}

/** Why the connection ended, given to `onClose` listeners. */
export interface SshCloseInfo {
  /** true when `close()` ended it */
  intentional: boolean;
  /** the error that ended it, if any (reset, keepalive timeout) */
  error: Error | undefined;
}

/** Facts about a connection, fixed when it was made. */
export interface SshConnectionInfo {
  host: string;
  port: number;
  user: string;
  /** the server's host key fingerprint, `SHA256:...` */
  hostKeyFingerprint: string | undefined;
  /** the server's host key as OpenSSH writes it after the type (base64 of the wire blob) */
  hostKey?: string | undefined;
  /** how many attempts connecting took */
  attempts: number;
  /** session channels (exec, shell, sftp) open at once; more wait their turn (default 10) */
  maxSessions?: number;
  logger: Logger;
}
