// What every engine's launch gets: the resolved flake, the caller's arguments split, process state.
import { isatty } from 'node:tty';
import type { PilotArgs } from './argv.js';
import type { ResolvedLaunch } from './resolve.js';
import type { Caller } from '../flake/trust.js';

export interface LaunchContext {
  resolved: ResolvedLaunch;
  args: PilotArgs;
  env: NodeJS.ProcessEnv;
  caller: Caller;
  /** the launcher's name for messages (podman-pilot, vm-pilot, bwrap-pilot) */
  launcher: string;
  /** warnings on stderr */
  warn: (message: string) => void;
}

/** The flake file named in messages about the flake's settings. */
export const flakeFile = (ctx: LaunchContext): string => ctx.resolved.files[0] ?? ctx.resolved.name;

/** The caller wants (and has) a terminal for the app. */
export function wantsTerminal(ctx: LaunchContext, flakeAsksForOne: boolean): boolean {
  if (ctx.args.options.has('interactive')) return true;
  // isatty(fd): touching process.stdin would build a stream the launcher never reads
  return flakeAsksForOne && isatty(0) && isatty(1);
}
