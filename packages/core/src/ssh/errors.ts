import { InputError, OperationError, UsageError } from '../errors/mantle-error.js';

/** The stable codes of every error the SSH layer raises; scripts and kola match on them. */
export const SshErrorCode = {
  /** the server refused our key: never retried */
  AuthFailed: 'SSH_AUTH_FAILED',
  /** no SSH server answered within the configured tries */
  Unreachable: 'SSH_UNREACHABLE',
  /** the server's host key differs from the recorded or pinned one */
  HostKeyMismatch: 'SSH_HOSTKEY_MISMATCH',
  /** the server's host key is marked @revoked in known_hosts */
  HostKeyRevoked: 'SSH_HOSTKEY_REVOKED',
  /** a remote command ran longer than its timeout and was killed */
  ExecTimeout: 'SSH_EXEC_TIMEOUT',
  /** a remote command exited non-zero (mustExec) */
  ExecFailed: 'SSH_EXEC_FAILED',
  /** the connection dropped while a command, transfer or shell was pending */
  ConnectionLost: 'SSH_CONNECTION_LOST',
  /** the private key file is missing, unreadable, encrypted without a passphrase, or not a key */
  KeyInvalid: 'SSH_KEY_INVALID',
  /** a known_hosts file could not be read or written */
  KnownHosts: 'SSH_KNOWN_HOSTS',
  /** an SFTP or exec-based file transfer failed */
  TransferFailed: 'SSH_TRANSFER_FAILED',
  /** a channel (exec, sftp, forward) could not be opened */
  ChannelFailed: 'SSH_CHANNEL_FAILED',
  /** bad options given to the SSH layer */
  BadOption: 'SSH_BAD_OPTION',
} as const;

export type SshErrorCodeValue = (typeof SshErrorCode)[keyof typeof SshErrorCode];

/** `user@host:port`, the way every SSH error names its target. */
export function sshTarget(t: { user?: string; host: string; port: number }): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user ? `${t.user}@` : ''}${host}:${t.port}`;
}

/** An SSH operation failed (exit 1). */
export function sshOperationError(
  code: SshErrorCodeValue,
  message: string,
  extra: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {},
): OperationError {
  return new OperationError({ code, message, ...extra });
}

/** A bad option given to the SSH layer (exit 2). */
export function sshUsageError(message: string, hint?: string): UsageError {
  return new UsageError({ code: SshErrorCode.BadOption, message, ...(hint ? { hint } : {}) });
}

/** An unusable input file: key, known_hosts (exit 2). */
export function sshInputError(
  code: SshErrorCodeValue,
  message: string,
  hint: string,
  cause?: unknown,
): InputError {
  return new InputError({ code, message, hint, cause });
}
