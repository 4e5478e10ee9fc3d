// flake-pilot's global configuration: /etc/flakes.yml for the system-wide setup,
// ~/.config/flakes.yml for a user's own (rootless) flakes — flake-pilot(8):
//
//   generic:
//     flakes_dir: /usr/share/flakes          # flake registrations
//     podman_ids_dir: /tmp/flakes            # container id files (a private <uid>/ below it)
//     firecracker_ids_dir: /tmp/flakes       # VM id files
//     podman_storage_conf: /etc/flakes/storage.conf   # CONTAINERS_STORAGE_CONF for the engine
//     vm_registry_dir: /var/lib/firecracker   # mantle: `pilot vm pull` images (images/<name>/)
//     bwrap_dir: /var/lib/flakes/bwrap        # mantle: `pilot bwrap register --image` root filesystems
//
// Every key is optional; a missing file means all defaults. The paths are host paths, seen
// through the root override (layout.ts).
import { isAbsolute, join } from 'node:path';
import { FlakeFileError, type FlakeProblem } from '../errors.js';
import { readYamlLayer } from '../flake/load.js';
import { flakesConfigSchema } from '../flake/schema.js';
import { stampOf, type FileStamp } from '../flake/trust.js';
import { issuesToProblems, originOf, unknownKeys } from '../flake/validate.js';
import { dottedPath } from '../flake/yaml-origins.js';
import { DEFAULTS, type HostView } from './layout.js';

/** The resolved configuration: real paths (root override applied), ready to use. */
export interface PilotConfig {
  root: string;
  /** the user's own setup (~/.config/flakes.yml), not the system's */
  usermode: boolean;
  configFile: string;
  flakesDir: string;
  podmanIdsDir: string;
  firecrackerIdsDir: string;
  /** undefined: podman's own default storage */
  podmanStorageConf: string | undefined;
  vmRegistryDir: string;
  bwrapDir: string;
  warnings: FlakeProblem[];
  /** the config file (present or not) */
  stamps: FileStamp[];
}

/** Where the user's config and flakes live: $HOME, seen through the root override. */
function userHome(host: HostView, env: NodeJS.ProcessEnv): string | undefined {
  return env.HOME ? host.path(env.HOME) : undefined;
}

/** Read flakes.yml (system or user) and resolve every directory. */
export async function loadPilotConfig(
  host: HostView,
  opts: { usermode: boolean; env: NodeJS.ProcessEnv; strict?: boolean },
): Promise<PilotConfig> {
  const home = userHome(host, opts.env);
  if (opts.usermode && !home)
    throw new FlakeFileError(
      [{ file: '~/.config/flakes.yml', line: 1, key: '(file)', message: 'HOME is not set' }],
      'set HOME, or use the system-wide setup (without --user)',
    );
  const configFile = opts.usermode ? join(home!, DEFAULTS.userConfig) : host.path(DEFAULTS.config);
  const stamp = stampOf(configFile);
  const generic: Record<string, string | null | undefined> = {};
  const warnings: FlakeProblem[] = [];
  if (stamp.present) {
    const layer = await readYamlLayer(configFile);
    const value = layer.value ?? {};
    const parsed = flakesConfigSchema.safeParse(value);
    const problems = parsed.success
      ? []
      : issuesToProblems(parsed.error.issues, { ...layer, value }, configFile);
    const unknown = unknownKeys(flakesConfigSchema, value, layer, configFile);
    if (opts.strict) problems.push(...unknown);
    else warnings.push(...unknown);
    if (parsed.success)
      for (const [k, v] of Object.entries(parsed.data.generic ?? {})) {
        if (typeof v === 'string' && !isAbsolute(v))
          problems.push({
            ...originOf(layer.origins, ['generic', k], configFile),
            key: dottedPath(['generic', k]),
            message: `must be an absolute path, got ${JSON.stringify(v)}`,
          });
        generic[k] = v;
      }
    if (problems.length > 0) throw new FlakeFileError(problems);
  }
  const pick = (key: string, fallback: string): string => {
    const v = generic[key];
    return typeof v === 'string' ? host.path(v) : fallback;
  };
  const flakesDir = pick(
    'flakes_dir',
    opts.usermode ? join(home!, DEFAULTS.userFlakesDir) : host.path(DEFAULTS.flakesDir),
  );
  const storage = generic.podman_storage_conf;
  const defaultStorage = host.path(DEFAULTS.podmanStorageConf);
  return {
    root: host.root,
    usermode: opts.usermode,
    configFile,
    flakesDir,
    podmanIdsDir: pick('podman_ids_dir', host.path(DEFAULTS.podmanIdsDir)),
    firecrackerIdsDir: pick('firecracker_ids_dir', host.path(DEFAULTS.firecrackerIdsDir)),
    // flake-pilot requires the file; here a missing default means "podman's own storage"
    podmanStorageConf:
      typeof storage === 'string'
        ? host.path(storage)
        : !opts.usermode && stampOf(defaultStorage).present
          ? defaultStorage
          : undefined,
    vmRegistryDir: pick(
      'vm_registry_dir',
      opts.usermode ? join(flakesDir, 'firecracker') : host.path(DEFAULTS.vmRegistryDir),
    ),
    bwrapDir: pick('bwrap_dir', opts.usermode ? join(flakesDir, 'bwrap') : host.path(DEFAULTS.bwrapDir)),
    warnings,
    stamps: typeof storage === 'string' || opts.usermode ? [stamp] : [stamp, stampOf(defaultStorage)],
  };
}
