// Bundle a TypeScript entry of this repo into one ESM file that a plain `node` runs: our sources
// (with @mantle/core and its subpaths taken from source) go in, packages from node_modules stay external, imported
// by absolute path. Benchmarks are plain .mjs and cannot import .ts; the kola qemu tests need the
// same to run a platform module in a child process (packages/kola/test/qemu-helpers.ts).
// esbuild comes from tsup's dependencies (it is not a direct dependency of the workspace).
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

// An esbuild plugin. `root` holds the sources (this repo, or a copy of another revision's
// packages/ tree); packages from node_modules always come from this repo's install.
const externalizeFrom = (root) => ({
  name: 'externalize-node-modules',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const core = /^@mantle\/core(?:\/([a-z-]+))?$/.exec(args.path);
      if (core)
        return { path: join(root, 'packages/core/src', core[1] ? `${core[1]}/index.ts` : 'index.ts') };
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const inRoot = relative(root, args.resolveDir);
      const r = await build.resolve(args.path, {
        resolveDir: inRoot.startsWith('..') ? args.resolveDir : join(repo, inRoot),
        kind: args.kind,
        pluginData: 'inner',
      });
      return r.errors.length > 0 ? undefined : { path: r.path, external: true };
    });
    // Modules that find things relative to themselves (createRequire(import.meta.url)) keep
    // their own location, not the bundle's.
    build.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: 'ts',
    }));
  },
});

/**
 * Bundle `entry` (a .ts file) into `outfile` (an .mjs file) for Node 20.
 * @param {string} entry
 * @param {string} outfile
 * @param {{ root?: string, define?: Record<string, string> }} [opts] root: where the sources
 *   are (default this repo); define: esbuild defines (e.g. compiled-in versions)
 * @returns {Promise<void>}
 */
export async function bundleForNode(entry, outfile, opts = {}) {
  const req = createRequire(createRequire(import.meta.url).resolve('tsup'));
  const esbuild = req('esbuild');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    define: opts.define ?? {},
    plugins: [externalizeFrom(opts.root ?? repo)],
  });
}
