import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Process state every profile lookup reads instead of the real process (tests inject a temp home). */
export interface ProfileEnvOptions {
  /** environment to read AWS_*, AZURE_*, GOOGLE_* and HOME from; defaults to process.env */
  env?: NodeJS.ProcessEnv;
  /** the home directory `~` stands for; defaults to env.HOME, then the OS's idea of it */
  homeDir?: string;
  /** where relative paths (flags, env vars) are resolved; defaults to process.cwd() */
  cwd?: string;
}

/** The resolved form of ProfileEnvOptions. */
export interface ProfileEnv {
  env: NodeJS.ProcessEnv;
  homeDir: string;
  cwd: string;
}

/** Fill in the defaults of ProfileEnvOptions once, so every loader sees the same home and env. */
export function resolveProfileEnv(opts: ProfileEnvOptions = {}): ProfileEnv {
  const env = opts.env ?? process.env;
  const homeDir = opts.homeDir ?? (env.HOME && env.HOME.length > 0 ? env.HOME : homedir());
  return { env, homeDir, cwd: opts.cwd ?? process.cwd() };
}

/** Expand a leading `~/` and make a user-given path absolute. */
export function expandPath(p: string, penv: ProfileEnv): string {
  if (p === '~') return penv.homeDir;
  if (p.startsWith('~/')) return join(penv.homeDir, p.slice(2));
  return isAbsolute(p) ? p : resolve(penv.cwd, p);
}

/** A path under the home directory, e.g. `homePath(penv, '.aws', 'credentials')`. */
export function homePath(penv: ProfileEnv, ...parts: string[]): string {
  return join(penv.homeDir, ...parts);
}

/** Show a path the way users wrote it: `~/.config/packet.json` for files in the home directory. */
export function displayPath(p: string, homeDir: string): string {
  const home = homeDir.endsWith('/') ? homeDir.slice(0, -1) : homeDir;
  if (home.length > 1 && p.startsWith(home + '/')) return '~/' + p.slice(home.length + 1);
  return p;
}

/** An environment variable's value, treating an empty string as unset (as the cloud SDKs do). */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}
