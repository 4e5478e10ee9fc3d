#!/usr/bin/env node
// Put every tool's bin on PATH: a symlink per package.json "bin" entry (kola, kolet, ore, plume,
// bakery, pilot, podman-pilot, vm-pilot) to the built dist file of this checkout. Node resolves a
// symlinked script's imports from its real path, so the tools find their dependencies from any
// directory, and relative paths are taken from the caller's directory.
//
//   node scripts/link-bins.mjs [--bin-dir DIR]
//
// DIR: --bin-dir, else $MANTLE_BIN_DIR, else /usr/local/bin as root and ~/.local/bin otherwise.
// An existing file that is not a symlink (another install of kola, say) is left alone and named.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf('--bin-dir');
const binDir = resolve(
  at >= 0 && args[at + 1]
    ? args[at + 1]
    : process.env.MANTLE_BIN_DIR ||
        (process.getuid?.() === 0 ? '/usr/local/bin' : join(homedir(), '.local', 'bin')),
);

const fail = (msg) => {
  process.stderr.write(`link-bins: ${msg}\n`);
  process.exit(1);
};

const links = [];
for (const pkg of readdirSync(join(repo, 'packages')).sort()) {
  const manifest = join(repo, 'packages', pkg, 'package.json');
  if (!existsSync(manifest)) continue;
  const bins = JSON.parse(readFileSync(manifest, 'utf8')).bin ?? {};
  for (const [name, rel] of Object.entries(bins)) {
    const target = join(repo, 'packages', pkg, rel);
    if (!existsSync(target)) fail(`${target} is missing: run 'pnpm exec turbo run build' first`);
    links.push([name, target]);
  }
}

mkdirSync(binDir, { recursive: true });
const skipped = [];
for (const [name, target] of links) {
  const link = join(binDir, name);
  const st = lstatSync(link, { throwIfNoEntry: false });
  if (st && !st.isSymbolicLink()) {
    skipped.push(link);
    continue;
  }
  if (st) unlinkSync(link);
  symlinkSync(target, link);
}
process.stderr.write(`link-bins: ${links.length - skipped.length} tools linked in ${binDir}\n`);
for (const s of skipped)
  process.stderr.write(`link-bins: left ${s} alone (not a symlink); remove it to link\n`);
if (!(process.env.PATH ?? '').split(delimiter).includes(binDir))
  process.stderr.write(
    `link-bins: ${binDir} is not on PATH: add  export PATH="${binDir}:$PATH"  to your shell profile\n`,
  );
if (skipped.length > 0) process.exit(1);
