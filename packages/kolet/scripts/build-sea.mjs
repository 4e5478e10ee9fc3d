#!/usr/bin/env node
// Builds the kolet single executable (a Node.js SEA) after tsup:
//   dist/kolet.cjs    the bundled CommonJS script (kolet + the native functions of --tests modules)
//   dist/kolet        the Node binary with that script injected, mode 0755
//   dist/kolet.gz     gzip -1 of it, what kola sends over SSH
//   dist/kolet.sha256 `sha256sum` line of dist/kolet, checked on the machine after gunzip
//   dist/kolet.json   manifest: version, build id, sha256, sizes, node, bundled tests
//
// The injection (copying and rewriting a ~100 MB binary) is the slow part, so its output is
// cached under node_modules/.cache/kolet-sea/<key>, keyed by the script, the Node binary and
// the SEA settings; a rebuild with an unchanged bundle only links the cached files.
//
// Usage: node scripts/build-sea.mjs [--tests MODULE]... [--out DIR] [--script-only]
//   --tests MODULE     bundle the native functions of a test module (TS or JS); kola's build
//                      passes its built-in tests this way and writes to its own dist/kolet/
//   --out DIR          write there instead of dist/
//   --script-only      only the bundled script (DIR/kolet.cjs, runs with node), no executable
// Environment: KOLET_NODE_BINARY=path  inject into this Node binary (same Node version as the
//   one running this script, e.g. an arm64 build) instead of the running one.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const require = createRequire(import.meta.url);
const { build } = require('esbuild');
const { inject } = require('postject');

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
let dist = join(pkgDir, 'dist');
const t0 = Date.now();
const log = (msg) => process.stderr.write(`build-sea: ${msg}\n`);

function parseArgs(argv) {
  const opts = { tests: [], out: undefined, scriptOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tests' && argv[i + 1]) opts.tests.push(resolve(argv[++i]));
    else if (a === '--out' && argv[i + 1]) opts.out = resolve(argv[++i]);
    else if (a === '--script-only') opts.scriptOnly = true;
    else
      throw new Error(
        `unknown argument ${a} (usage: build-sea.mjs [--tests MODULE]... [--out DIR] [--script-only])`,
      );
  }
  return opts;
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

async function sha256File(path) {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

async function bundle(testModules, version) {
  const virtual = {
    name: 'kolet-virtual',
    setup(b) {
      b.onResolve({ filter: /^kolet:bundled-tests$/ }, () => ({
        path: 'bundled-tests',
        namespace: 'kolet-virtual',
      }));
      b.onLoad({ filter: /.*/, namespace: 'kolet-virtual' }, () => ({
        contents:
          testModules.map((m, i) => `import * as m${i} from ${JSON.stringify(m)};`).join('\n') +
          `\nexport const tests = [${testModules.map((_, i) => `m${i}`).join(', ')}];\n`,
        resolveDir: pkgDir,
        loader: 'js',
      }));
    },
  };
  const result = await build({
    entryPoints: [join(pkgDir, 'src/sea-main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    outfile: join(dist, 'kolet.cjs'),
    minify: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // core's chunks import each other bare for ordering; with "sideEffects": false esbuild drops
    // those imports (core has no module-level side effects), and says so once per chunk.
    logOverride: { 'ignored-bare-import': 'silent' },
    plugins: [virtual],
    // The executable has no package.json; ESM code's import.meta.url becomes the file's URL.
    define: { __KOLET_VERSION__: JSON.stringify(version), 'import.meta.url': '__kolet_import_meta_url' },
    banner: { js: 'var __kolet_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  });
  const out = result.outputFiles[0];
  return { text: out.text, metafile: result.metafile };
}

function biggestInputs(metafile, n = 8) {
  const sizes = new Map();
  for (const [file, info] of Object.entries(Object.values(metafile.outputs)[0].inputs)) {
    const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = m ? m[1] : file.split('/').slice(0, 4).join('/');
    sizes.set(key, (sizes.get(key) ?? 0) + info.bytesInOutput);
  }
  return [...sizes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}K`)
    .join(', ');
}

async function placeFile(src, dest) {
  await rm(dest, { force: true });
  try {
    await link(src, dest); // same file system: instant, no second 100 MB copy
  } catch {
    await copyFile(src, dest);
  }
}

async function makeExecutable(scriptPath, nodeBinary, workDir, useCodeCache) {
  const blob = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  await writeFile(
    config,
    JSON.stringify({ main: scriptPath, output: blob, disableExperimentalSEAWarning: true, useCodeCache }),
  );
  const r = spawnSync(process.execPath, ['--experimental-sea-config', config], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node --experimental-sea-config failed: ${r.stderr || r.stdout}`);
  const exe = join(workDir, 'kolet');
  await copyFile(nodeBinary, exe);
  await chmod(exe, 0o755);
  // postject's ELF code prints harmless section-name warnings on stderr; keep the log quiet.
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) =>
    String(chunk).includes("Can't find string offset") ? true : write(chunk, ...rest);
  try {
    await inject(exe, 'NODE_SEA_BLOB', await readFile(blob), { sentinelFuse: SENTINEL_FUSE });
  } finally {
    process.stderr.write = write;
  }
  await pipeline(
    createReadStream(exe),
    createGzip({ level: 1 }),
    createWriteStream(join(workDir, 'kolet.gz')),
  );
  return exe;
}

/** Keep the newest few executables (a test's variant build must not evict the main one). */
async function pruneCache(cacheRoot, keepCount = 2) {
  const entries = (await readdir(cacheRoot).catch(() => [])).filter((e) => !e.startsWith('.'));
  const dated = await Promise.all(
    entries.map(async (e) => ({ e, t: (await stat(join(cacheRoot, e))).mtimeMs })),
  );
  dated.sort((a, b) => b.t - a.t);
  for (const { e } of dated.slice(keepCount)) await rm(join(cacheRoot, e), { recursive: true, force: true });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
  const testModules = opts.tests;
  if (opts.out) dist = opts.out;
  await mkdir(dist, { recursive: true });

  const { text, metafile } = await bundle(testModules, pkg.version);
  const nodeBinary = resolve(process.env.KOLET_NODE_BINARY || process.execPath);
  const crossBuild = nodeBinary !== process.execPath;
  const nodeStat = await stat(nodeBinary);
  const buildId = sha256(`${text}\0${process.version}\0${nodeBinary}\0${nodeStat.size}`).slice(0, 16);
  const script = `globalThis.__KOLET_BUILD_ID__=${JSON.stringify(buildId)};\n${text}`;
  const scriptPath = join(dist, 'kolet.cjs');
  await writeFile(scriptPath, script);
  log(
    `bundled ${(script.length / 1024).toFixed(0)} KiB (${biggestInputs(metafile)}); tests: ${testModules.map((m) => relative(pkgDir, m)).join(', ') || 'none'}`,
  );
  if (opts.scriptOnly) return;

  // Node's code cache is specific to the V8 that makes it: only when injecting into the running Node.
  const useCodeCache = !crossBuild;
  // This script is part of the key: what it writes beside the executable may change too.
  const self = sha256(await readFile(fileURLToPath(import.meta.url)));
  const key = sha256(
    `${script}\0${nodeBinary}\0${nodeStat.size}\0${nodeStat.mtimeMs}\0${process.version}\0${useCodeCache}\0postject-1.0.0-alpha.6\0${self}`,
  ).slice(0, 20);
  const cacheRoot = join(pkgDir, 'node_modules/.cache/kolet-sea');
  const cached = join(cacheRoot, key);
  if (!existsSync(join(cached, 'kolet.json'))) {
    await mkdir(cacheRoot, { recursive: true });
    const work = await mkdtemp(join(cacheRoot, '.work-'));
    try {
      const exe = await makeExecutable(scriptPath, nodeBinary, work, useCodeCache);
      const digest = await sha256File(exe);
      const manifest = {
        version: pkg.version,
        buildId,
        sha256: digest,
        size: (await stat(exe)).size,
        gzSize: (await stat(join(work, 'kolet.gz'))).size,
        node: process.version,
        platform: process.platform,
        arch: crossBuild ? 'see KOLET_NODE_BINARY' : process.arch,
        bundledTests: bundledTestNames(),
      };
      await writeFile(join(work, 'kolet.sha256'), `${digest}  kolet\n`);
      await writeFile(join(work, 'kolet.json'), JSON.stringify(manifest, null, 2) + '\n');
      await rm(join(work, 'sea-prep.blob'));
      await rm(join(work, 'sea-config.json'));
      await rename(work, cached);
    } catch (err) {
      await rm(work, { recursive: true, force: true });
      throw err;
    }
    await pruneCache(cacheRoot);
    log(`injected into ${nodeBinary} (${process.version})`);
  } else {
    const now = new Date();
    await utimes(cached, now, now); // most recently used: kept by pruneCache
    log('executable unchanged: reusing the cached one');
  }
  for (const f of ['kolet', 'kolet.gz', 'kolet.sha256', 'kolet.json'])
    await placeFile(join(cached, f), join(dist, f));
  await chmod(join(dist, 'kolet'), 0o755);
  const m = JSON.parse(await readFile(join(dist, 'kolet.json'), 'utf8'));
  log(
    `dist/kolet ${(m.size / 1e6).toFixed(1)} MB, kolet.gz ${(m.gzSize / 1e6).toFixed(1)} MB, build ${m.buildId}, ` +
      `${m.bundledTests.length} bundled test(s) with native functions, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

/** Names of bundled tests that have native functions (kolet.self always), read back from the bundle by running it. */
function bundledTestNames() {
  const r = spawnSync(process.execPath, [join(dist, 'kolet.cjs'), 'list', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  if (r.status !== 0) throw new Error(`the bundled kolet does not start: ${r.stderr}`);
  return JSON.parse(r.stdout).map((t) => t.test);
}

main().catch((err) => {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
