// ssh: one reused ssh2 connection per machine — retrying connect, exec, SFTP and exec-based file
// transfer, local forwards, interactive shells, key generation and host key policies.
export * from './client.js';
export * from './connect.js';
export * from './errors.js';
export * from './host-key.js';
export * from './keys.js';
export * from './known-hosts.js';
export * from './shell-quote.js';
export type * from './types.js';
export type { LocalForward, LocalForwardOptions } from './forward.js';
export type { ShellOptions } from './shell.js';
export {
  formatMode,
  type GetFileOptions,
  type InstallFileOptions,
  type PutFileOptions,
  type TransferResult,
} from './transfer.js';
