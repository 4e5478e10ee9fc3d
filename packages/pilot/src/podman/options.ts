// A flake's `runtime.podman:` list → podman create/run arguments, as podman-pilot builds them:
// each entry is an option and its optional value split at the first space, `%VAR` expanded;
// with `%ignore_missing_volume_path` a volume whose host path does not exist is left out.
//
// The terminal: flake-ctl writes `-ti` into every flake, and podman-pilot adds `--tty
// --interactive` when a flake has no options, so a flake-pilot flake always asks for a TTY —
// which mangles output the moment it is piped (stderr merged into stdout, \r\n line ends). Here
// a TTY is allocated only when the flake asks for one AND the caller's stdin and stdout are
// terminals (or `%interactive` is given); stdin is always attached (`--interactive`).
import { existsSync } from 'node:fs';
import { splitRuntimeOption } from '../launch/env-expand.js';

export interface PodmanOptions {
  /** the flake's options, ready for podman (tty flags taken out) */
  args: string[];
  /** the flake asks for a terminal (-t, --tty, -ti, or no options at all) */
  wantsTty: boolean;
}

const TTY_LONG = /^--tty(=(true|false))?$/;
// clusters of podman's boolean short flags: -ti, -it, -itd
const BOOL_CLUSTER = /^-[itdP]+$/;

/** Translate `runtime.podman` entries (volume paths are podman's: never mapped through a root override). */
export function podmanOptions(
  entries: readonly string[] | null | undefined,
  env: NodeJS.ProcessEnv,
  opts: { ignoreMissingVolumes: boolean },
): PodmanOptions {
  if (!entries || entries.length === 0) return { args: [], wantsTty: true };
  const split = entries.flatMap((e) => splitRuntimeOption(e, env));
  const args: string[] = [];
  let wantsTty = false;
  for (let i = 0; i < split.length; i++) {
    const a = split[i]!;
    if (TTY_LONG.test(a)) {
      wantsTty = !a.endsWith('=false');
      continue;
    }
    if (BOOL_CLUSTER.test(a) && a.includes('t')) {
      wantsTty = true;
      const rest = a.replace(/t/g, '');
      if (rest !== '-') args.push(rest);
      continue;
    }
    if (opts.ignoreMissingVolumes) {
      const volume = /^(?:--volume|-v)(?:=(.*))?$/.exec(a);
      if (volume) {
        const spec = volume[1] ?? split[i + 1];
        const hostPart = spec?.split(':')[0];
        if (hostPart?.startsWith('/') && !existsSync(hostPart)) {
          if (volume[1] === undefined) i++;
          continue;
        }
      }
    }
    args.push(a);
  }
  return { args, wantsTty };
}
