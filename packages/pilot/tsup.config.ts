import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

export default defineConfig(
  baseConfig({
    index: 'src/index.ts',
    cli: 'src/cli.ts',
    'podman-pilot': 'src/podman-pilot.ts',
    'vm-pilot': 'src/vm-pilot.ts',
    'bwrap-pilot': 'src/bwrap-pilot.ts',
  }),
);
