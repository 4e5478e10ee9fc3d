// Helpers of the qemu platform's integration tests (not a test file itself).
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { mantleCacheDir } from '../src/platform/qemu/index.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

/** The tiny image's directory, building it (cached) with images/tiny/build.sh when missing. */
export async function ensureTinyImage(): Promise<string> {
  const dir = join(mantleCacheDir(), 'images', 'tiny-latest');
  const built = await stat(join(dir, 'manifest.json')).then(
    () => true,
    () => false,
  );
  if (!built) await promisify(execFile)(join(repo, 'images/tiny/build.sh'), [], { maxBuffer: 64 << 20 });
  return dir;
}

/** Pids of qemu processes whose command line mentions `needle`. */
export async function qemuPidsWith(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('qemu-system') && cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

interface EsbuildPlugin {
  name: string;
  setup(build: {
    onResolve(
      o: { filter: RegExp },
      cb: (a: { path: string; resolveDir: string; kind: string; pluginData?: unknown }) => unknown,
    ): void;
    onLoad(
      o: { filter: RegExp },
      cb: (a: { path: string }) => Promise<{ contents: string; loader: string }>,
    ): void;
    resolve(
      p: string,
      o: { resolveDir: string; kind: string; pluginData: unknown },
    ): Promise<{ path: string; errors: unknown[] }>;
  }): void;
}
interface Esbuild {
  build(o: Record<string, unknown>): Promise<unknown>;
}

/**
 * Bundle a TypeScript entry (our sources, @mantle/core from source) into one ESM file that a
 * plain `node` runs; packages from node_modules stay external, imported by absolute path.
 * esbuild comes from tsup's dependencies (it is not a direct dependency of the workspace).
 */
export async function bundleForNode(entry: string, outfile: string): Promise<void> {
  const req = createRequire(createRequire(import.meta.url).resolve('tsup'));
  const esbuild = req('esbuild') as Esbuild;
  const externalize: EsbuildPlugin = {
    name: 'externalize-node-modules',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        if (args.path === '@mantle/core') return { path: join(repo, 'packages/core/src/index.ts') };
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const r = await build.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          pluginData: 'inner',
        });
        if (r.errors.length > 0) return undefined;
        return { path: r.path, external: true };
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
  };
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [externalize],
  });
}
