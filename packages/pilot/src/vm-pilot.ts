// vm-pilot: the launcher of vm flakes (see vm/launch.ts); registered apps are symlinks to it and
// the symlink's name selects the flake.
import { launcherMain } from './launch/entry.js';
import { launchVm } from './vm/launch.js';

await launcherMain('vm', launchVm);
