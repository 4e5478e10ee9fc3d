// bwrap-pilot: the launcher of bubblewrap flakes (see bwrap/launch.ts); registered apps are
// symlinks to it and the symlink's name selects the flake.
import { launcherMain } from './launch/entry.js';
import { launchBwrap } from './bwrap/launch.js';

await launcherMain('bwrap', launchBwrap);
