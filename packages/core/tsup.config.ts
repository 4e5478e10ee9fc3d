import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

// One entry per concern (package.json "exports"): a tool that imports `@mantle/core/disk` loads
// the disk modules and what they share, not SSH or Ignition. "." is the union of them all.
const concerns = [
  'cli',
  'errors',
  'log',
  'exec',
  'fs',
  'disk',
  'image',
  'ssh',
  'profiles',
  'verify',
  'ignition',
  'time',
  'text',
];
const entry = Object.fromEntries([
  ['index', 'src/index.ts'],
  ...concerns.map((c) => [c, `src/${c}/index.ts`]),
]) as Record<string, string>;

export default defineConfig(baseConfig(entry, { dts: { entry } }));
