import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

// `@mantle/ore/storage` is its own entry: bakery's publish loads the object stores, not ore's commands.
const lib = { index: 'src/index.ts', storage: 'src/storage/index.ts' };

export default defineConfig(baseConfig({ ...lib, cli: 'src/cli.ts' }, { dts: { entry: lib } }));
