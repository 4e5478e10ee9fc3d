// vm-pilot: the launcher of vm flakes (see vm/dispatch.ts); registered apps are symlinks to it and
// the symlink's name selects the flake.
import { launcherMain } from './launch/entry.js';
import { launchVm } from './vm/dispatch.js';

await launcherMain('vm', launchVm);
