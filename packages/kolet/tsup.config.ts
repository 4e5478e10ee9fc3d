import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

// tsup runs in the package directory. The version is compiled in: the single executable that
// scripts/build-sea.mjs makes from the same sources has no package.json to read it from.
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

export default defineConfig(
  baseConfig(
    { index: 'src/index.ts', cli: 'src/cli.ts' },
    { define: { __KOLET_VERSION__: JSON.stringify(version) } },
  ),
);
