import { findTool } from '@mantle/core/exec';
import { readGroupFile, readPasswdFile, type GroupEntry, type PasswdEntry } from './system/passwd.js';
import { readInterfaceAddrs, type InterfaceAddrs } from './system/ip-addr.js';
import { readListeners, type Listener } from './system/proc-net.js';
import { readMountinfo, type MountEntry } from './system/mountinfo.js';
import { listProcesses, type ProcessInfo } from './system/processes.js';
import { DEFAULT_PATH } from './system/spawn-capture.js';

/** Where the machine's databases live; tests point these at fixtures. */
export interface SystemPaths {
  passwd: string;
  group: string;
  proc: string;
  /** exists when systemd is PID 1 (what sd_booted(3) tests) */
  systemdRuntime: string;
  /** one directory per network interface, with its `mtu` */
  sysClassNet: string;
}

export const DEFAULT_SYSTEM_PATHS: SystemPaths = {
  passwd: '/etc/passwd',
  group: '/etc/group',
  proc: '/proc',
  systemdRuntime: '/run/systemd/system',
  sysClassNet: '/sys/class/net',
};

/** Package managers goss knows (its --package values). */
export const PACKAGE_MANAGERS = ['dpkg', 'rpm', 'apk', 'pacman'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/** What every check function gets: cancellation, the environment and per-run memoised reads. */
export interface CheckContext {
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  paths: SystemPaths;
  /** relative paths of file checks start here (goss: its working directory) */
  cwd: string;
  /** the package manager to ask (--package), else detected as goss detects it */
  packageManager: PackageManager | undefined;
  /** tell the user something goss would print as a warning (once per message) */
  warn(message: string): void;
  passwd(): Promise<PasswdEntry[]>;
  groups(): Promise<GroupEntry[]>;
  listeners(): Promise<Listener[]>;
  mounts(): Promise<MountEntry[]>;
  processes(): Promise<ProcessInfo[]>;
  /** every interface's addresses (`ip addr show`), or why they cannot be read */
  interfaceAddrs(): Promise<{ addrs: InterfaceAddrs } | { unsupported: string }>;
  /** absolute path of a program on PATH (or the usual sbin/bin dirs), undefined if missing */
  tool(name: string): Promise<string | undefined>;
  /** a value computed once per check run */
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
}

/** A context whose system reads happen once per check run, however many resources ask. */
export function createCheckContext(opts: {
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  paths?: Partial<SystemPaths> | undefined;
  cwd?: string | undefined;
  packageManager?: PackageManager | undefined;
  warn?: ((message: string) => void) | undefined;
}): CheckContext {
  const paths = { ...DEFAULT_SYSTEM_PATHS, ...opts.paths };
  const cache = new Map<string, Promise<unknown>>();
  const memo = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let p = cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load();
      cache.set(key, p);
    }
    return p;
  };
  const env = opts.env.PATH ? opts.env : { ...opts.env, PATH: DEFAULT_PATH };
  const warned = new Set<string>();
  return {
    signal: opts.signal,
    env,
    paths,
    cwd: opts.cwd ?? process.cwd(),
    packageManager: opts.packageManager,
    warn: (message) => {
      if (warned.has(message)) return;
      warned.add(message);
      opts.warn?.(message);
    },
    passwd: () => memo('passwd', () => readPasswdFile(paths.passwd)),
    groups: () => memo('group', () => readGroupFile(paths.group)),
    listeners: () => memo('listeners', () => readListeners(paths.proc)),
    mounts: () => memo('mounts', () => readMountinfo(paths.proc)),
    processes: () => memo('processes', () => listProcesses(paths.proc)),
    interfaceAddrs: () =>
      memo('interfaceAddrs', async () =>
        readInterfaceAddrs(await findTool('ip', env), { env, signal: opts.signal }),
      ),
    tool: (name) => memo(`tool:${name}`, () => findTool(name, env)),
    memo,
  };
}
