import { createRequire } from 'node:module';

type Ssh2 = typeof import('ssh2');

const require = createRequire(import.meta.url);
let loaded: Ssh2 | undefined;

/**
 * ssh2 on first use: importing it costs ~80 ms of start-up that `--help` and commands that never
 * open a connection should not pay. It is CommonJS, so a synchronous require works.
 */
export function ssh2(): Ssh2 {
  loaded ??= require('ssh2') as Ssh2;
  return loaded;
}
