import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

// Separate builds into one dist/ (package.json's build empties it first). Each launcher is a
// build of its own, so everything a flake call runs is inlined into its one entry file and only
// the slow paths (reading YAML, provisioning, error reporting) stay chunks loaded on demand:
// every ES module a call loads costs a resolve, a read and a compile before podman can start.
export default defineConfig([
  baseConfig({ index: 'src/index.ts', cli: 'src/cli.ts' }, { clean: false }),
  ...(['podman-pilot', 'vm-pilot', 'bwrap-pilot'] as const).map((name) =>
    baseConfig({ [name]: `src/${name}.ts` }, { clean: false, dts: false }),
  ),
]);
