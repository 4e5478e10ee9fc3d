// How a launch calls podman: as the flake's runas user, with the flakes' storage configuration
// (CONTAINERS_STORAGE_CONF from flakes.yml's podman_storage_conf, as podman-pilot sets it).
import type { Invocation } from '../launch/capture.js';
import { commandAs, type RunAs } from '../launch/run-as.js';

/** The variables podman needs that go along through sudo or a user switch. */
const PODMAN_ENV = [
  'CONTAINERS_STORAGE_CONF',
  'CONTAINERS_CONF',
  'CONTAINERS_REGISTRIES_CONF',
  'REGISTRY_AUTH_FILE',
  'TERM',
];

export interface PodmanCli {
  /** an invocation of `podman ARGS` */
  call(args: readonly string[]): Invocation;
}

/** A podman caller for `who`, with `storageConf` (a real path) when the flakes have their own storage. */
export function podmanCli(env: NodeJS.ProcessEnv, storageConf: string | undefined, who: RunAs): PodmanCli {
  const base: NodeJS.ProcessEnv = storageConf ? { ...env, CONTAINERS_STORAGE_CONF: storageConf } : env;
  return {
    call: (args) => commandAs(who, 'podman', args, base, PODMAN_ENV),
  };
}
