// The launcher binaries, in one table: registration points app symlinks at them, `pilot list`
// and `show` check a link's target against them, and a launcher knows itself by them.
import type { Engine } from '../flake/schema.js';

/** The launcher binary of each engine (this package's dist/<name>.js). */
export const LAUNCHERS: Readonly<Record<Engine, string>> = {
  podman: 'podman-pilot',
  vm: 'vm-pilot',
  bwrap: 'bwrap-pilot',
};

// Other names a launcher is installed under: upstream flake-pilot calls the bubblewrap launcher
// bubblewrap-pilot, and the symlinks its flake-ctl makes point at that name.
const LAUNCHER_ALIASES: Readonly<Record<string, Engine>> = { 'bubblewrap-pilot': 'bwrap' };

/** The engine whose launcher is called `name` (a bin name, `.js` allowed), or undefined. */
export function launcherEngine(name: string): Engine | undefined {
  const bare = name.replace(/\.js$/, '');
  const own = (Object.keys(LAUNCHERS) as Engine[]).find((e) => LAUNCHERS[e] === bare);
  return own ?? LAUNCHER_ALIASES[bare];
}
