import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

// Two builds into one dist/ (package.json's build empties it first): the launchers get chunks of
// their own, so a flake call loads only launcher code — sharing chunks with the `pilot` CLI made
// every call load more modules than it runs.
export default defineConfig([
  baseConfig({ index: 'src/index.ts', cli: 'src/cli.ts' }, { clean: false }),
  baseConfig(
    {
      'podman-pilot': 'src/podman-pilot.ts',
      'vm-pilot': 'src/vm-pilot.ts',
      'bwrap-pilot': 'src/bwrap-pilot.ts',
    },
    { clean: false, dts: false },
  ),
]);
