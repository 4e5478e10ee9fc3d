// podman-pilot: the launcher of container flakes. Every registered app is a symlink to this
// file; the symlink's name selects the flake (see launch/entry.ts, podman/launch.ts).
import { launcherMain } from './launch/entry.js';
import { launchPodman } from './podman/launch.js';

await launcherMain('podman', launchPodman);
