import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where run journals live by default: $XDG_STATE_HOME/mantle/plume (~/.local/state/mantle/plume). */
export function defaultStateUrl(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return `${pathToFileURL(join(base, 'mantle', 'plume')).href}/`;
}

/** The journal key of one command of one release. */
export function journalKey(
  command: 'pre-release' | 'release',
  id: { channel: string; board: string; version: string },
): string {
  return `${id.channel}/${id.board}/${id.version}/${command}.json`;
}
