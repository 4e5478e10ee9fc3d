// Find and load the flake a launcher was called for, the way flake-pilot's launchers do: the
// system-wide flakes directory first, then the caller's own (~/.config/flakes.yml). Everything
// read is checked for who may have written it. This is the slow path (YAML, schema); the result
// is cached (cache.ts) so later calls skip it while no file changed.
import { FlakeNotFoundError, formatProblem } from '../errors.js';
import { assertTrusted, loadFlake } from '../flake/load.js';
import type { Flake } from '../flake/schema.js';
import { stampOf, type Caller, type FileStamp } from '../flake/trust.js';
import { hostView, ROOT_ENV } from '../store/layout.js';
import { loadPilotConfig, type PilotConfig } from '../store/pilot-config.js';
import { join } from 'node:path';

/** What a launcher needs to start an app: plain data, so it can be cached as JSON. */
export interface ResolvedLaunch {
  name: string;
  config: Omit<PilotConfig, 'warnings' | 'stamps'>;
  flake: Flake;
  files: string[];
  /** printed on stderr at every launch: unknown keys, ignored files */
  warnings: string[];
}

/** Load flake `name` for a launcher; `stamps` lists every file the result depends on. */
export async function resolveLaunch(
  name: string,
  env: NodeJS.ProcessEnv,
  caller: Caller,
  launcher: string,
): Promise<{ resolved: ResolvedLaunch; stamps: FileStamp[] }> {
  const host = hostView(env[ROOT_ENV]);
  const strict = env.MANTLE_PILOT_STRICT === '1';
  const system = await loadPilotConfig(host, { usermode: false, env, strict });
  const stamps: FileStamp[] = [...system.stamps];
  assertTrusted(system.stamps, caller);
  let config = system;
  const looked = [join(system.flakesDir, `${name}.yaml`)];
  const systemBase = stampOf(looked[0]!);
  stamps.push(systemBase);
  if (!systemBase.present) {
    if (!env.HOME) throw new FlakeNotFoundError(name, looked, launcher);
    const user = await loadPilotConfig(host, { usermode: true, env, strict });
    stamps.push(...user.stamps);
    assertTrusted(user.stamps, caller);
    const userBase = stampOf(join(user.flakesDir, `${name}.yaml`));
    stamps.push(userBase);
    looked.push(userBase.path);
    if (!userBase.present) throw new FlakeNotFoundError(name, looked, launcher);
    config = user;
  }
  const loaded = await loadFlake(config.flakesDir, name, { strict, caller });
  stamps.push(...loaded.stamps);
  const { warnings: cfgWarnings, stamps: _s, ...cfg } = config;
  return {
    resolved: {
      name,
      config: cfg,
      flake: loaded.flake,
      files: loaded.files,
      warnings: [...cfgWarnings, ...loaded.warnings].map(formatProblem),
    },
    stamps,
  };
}
