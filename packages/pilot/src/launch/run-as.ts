// `runtime.runas`: the user the engine runs as. flake-pilot calls the engine through `sudo
// --user NAME`; here:
//   - unset, empty, `any`, or the caller itself → the engine runs as the caller;
//   - the launcher runs as root → the engine is started as that user directly (setuid/setgid,
//     supplementary groups cleared), no sudo involved;
//   - otherwise → `sudo -n --user NAME`, keeping only the variables the engine needs (as
//     flake-pilot does: a caller's environment must not steer a program running as root).
// NAME is a user name or `#UID`, as in sudo.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { raise } from './raise.js';

export interface RunAs {
  /** how the engine is started */
  how: 'self' | 'setuid' | 'sudo';
  user: string;
  uid: number;
  gid: number;
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function passwd(): PasswdEntry[] {
  let text = '';
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }));
}

/** Decide how to honour `runas` for the calling process. */
export async function resolveRunAs(runas: string | null | undefined, file: string): Promise<RunAs> {
  const me = userInfo();
  const self: RunAs = { how: 'self', user: me.username, uid: me.uid, gid: me.gid, home: me.homedir };
  if (!runas || runas === 'any') return self;
  const byUid = /^#(\d+)$/.exec(runas);
  const entry = passwd().find((p) => (byUid ? p.uid === Number(byUid[1]) : p.name === runas));
  if (!entry) {
    if (byUid && Number(byUid[1]) === me.uid) return self;
    return raise('input', {
      code: 'RUNAS_UNKNOWN',
      message: `${file}: runtime.runas: no user ${JSON.stringify(runas)} on this system`,
      hint: 'set runas to an existing user name, #UID, or remove it to run as the caller',
    });
  }
  if (entry.uid === me.uid) return self;
  return {
    how: me.uid === 0 ? 'setuid' : 'sudo',
    user: entry.name,
    uid: entry.uid,
    gid: entry.gid,
    home: entry.home,
  };
}

/**
 * The command line and environment to start `command` as `who`. `keepEnv` names the variables
 * that go along through sudo (and, for setuid, which of the caller's are kept besides HOME/USER).
 */
export function commandAs(
  who: RunAs,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  keepEnv: readonly string[],
): { command: string; args: string[]; env: NodeJS.ProcessEnv; uid?: number; gid?: number } {
  if (who.how === 'self') return { command, args: [...args], env };
  const kept: NodeJS.ProcessEnv = { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' };
  for (const k of keepEnv) if (env[k] !== undefined) kept[k] = env[k];
  if (who.how === 'setuid')
    return {
      command,
      args: [...args],
      env: {
        ...kept,
        HOME: who.home,
        USER: who.user,
        LOGNAME: who.user,
        ...(env.TERM ? { TERM: env.TERM } : {}),
      },
      uid: who.uid,
      gid: who.gid,
    };
  const preserve = keepEnv.filter((k) => env[k] !== undefined);
  return {
    command: 'sudo',
    args: [
      '-n',
      ...(preserve.length ? [`--preserve-env=${preserve.join(',')}`] : []),
      '--user',
      who.user,
      '--',
      command,
      ...args,
    ],
    env: { ...env },
  };
}
