import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { InputError, OperationError } from '@mantle/core/errors';
import { onCleanup } from '@mantle/core/cli';
import { requireTool, run } from '@mantle/core/exec';
import {
  chmodInside,
  copyInside,
  FsErrorCode,
  resolveInside,
  splitRelative,
  symlinkInside,
  UnsafePathError,
  writeFileInside,
} from '@mantle/core/fs';
import { createSysext, type CreateSysextOptions, type CreateSysextResult } from '../build/create-sysext.js';
import { checkVersion, normalizeSystemdArch } from '../sysext/names.js';
import { checkArchive } from './archive-check.js';
import {
  fetchVerified,
  planDownload,
  resolveChecksum,
  resolveLatestVersion,
  type PlannedDownload,
} from './fetch.js';
import { loadRecipe } from './registry.js';
import type { Recipe } from './schema.js';
import { expand, templateValues } from './template.js';

export interface CreateFromRecipeOptions extends Omit<CreateSysextOptions, 'name' | 'from' | 'version'> {
  /** a built-in recipe name or a recipe file */
  recipe: string;
  /** the extension name (default: the recipe's) */
  name?: string;
  /** the upstream version, or `latest` */
  version?: string;
  /** fetch every download from here instead of upstream */
  baseUrl?: string;
  params?: Record<string, string>;
  /** FILE (or download id) → sha256 for downloads without an upstream checksum */
  pins?: Record<string, string>;
}

interface RecipeDownloadRecord {
  id: string;
  url: string;
  file: string;
  sha256: string;
  verifiedBy: string;
}

export interface CreateFromRecipeResult extends CreateSysextResult {
  recipe: string;
  downloads: RecipeDownloadRecord[];
}

/**
 * Build a sysext from a recipe: resolve the version, download every file verified against its
 * sha256 (a mismatch stops before anything is built), assemble the tree in a scratch directory,
 * then build it like `create --from`.
 */
export async function createFromRecipe(opts: CreateFromRecipeOptions): Promise<CreateFromRecipeResult> {
  const cwd = opts.cwd ?? process.cwd();
  const { recipe } = await loadRecipe(opts.recipe, { cwd });
  const arch = normalizeSystemdArch(opts.arch ?? 'x86-64');
  if (!recipe.arches.includes(arch)) {
    throw new InputError({
      code: 'BAD_ARCH',
      message: `--arch ${arch}: recipe ${recipe.name} is for ${recipe.arches.join(', ')} only`,
      hint: `use --arch ${recipe.arches[0]}`,
      details: { field: '--arch' },
    });
  }
  if (opts.version === undefined) {
    throw new InputError({
      code: 'RECIPE_NO_VERSION',
      message: `--version is required with --recipe ${recipe.name}`,
      hint: `e.g. --version ${recipe.versions.example}${recipe.versions.latest ? ' or --version latest' : ''}`,
      details: { field: '--version' },
    });
  }
  if (opts.baseUrl !== undefined && !/^https?:\/\/[^/]/.test(opts.baseUrl)) {
    throw new InputError({
      code: 'RECIPE_BAD_URL',
      message: `--base-url ${opts.baseUrl} is not an http(s) URL`,
      hint: 'e.g. --base-url http://mirror.example/bakery',
      details: { field: '--base-url' },
    });
  }
  const baseOpts = {
    arch,
    ...(opts.params ? { params: opts.params } : {}),
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
  };
  let version = opts.version;
  if (version === 'latest')
    version = await resolveLatestVersion(
      recipe,
      templateValues(recipe, { ...baseOpts, version: '' }),
      opts.signal,
    );
  checkVersion(version);
  const values = templateValues(recipe, { ...baseOpts, version });
  const pins = opts.pins ?? {};

  // Plan and resolve every checksum before downloading anything: a missing checksum fails fast.
  const planned = recipe.downloads.map((d) => ({ d, p: planDownload(recipe, d, values) }));
  for (const key of Object.keys(pins)) {
    if (!planned.some(({ p }) => p.file === key || p.id === key)) {
      throw new InputError({
        code: 'BAD_USAGE',
        message: `--sha256 ${key}=...: recipe ${recipe.name} downloads no file of that name`,
        hint: `its downloads are: ${planned.map(({ p }) => p.file).join(', ')}`,
        details: { field: '--sha256' },
      });
    }
  }
  const checksums = [];
  for (const { d, p } of planned)
    checksums.push(await resolveChecksum(recipe, d, p, values, pins, opts.signal));

  const outDir = resolve(cwd, opts.outDir ?? '.');
  await mkdir(outDir, { recursive: true });
  const scratch = await mkdtemp(join(outDir, '.bakery-recipe-'));
  const unregister = onCleanup(() => rm(scratch, { recursive: true, force: true }), `remove ${scratch}`);
  try {
    const records: RecipeDownloadRecord[] = [];
    const fetched = new Map<string, { planned: PlannedDownload; path: string; extracted?: string }>();
    for (let i = 0; i < planned.length; i++) {
      const { p } = planned[i]!;
      const c = checksums[i]!;
      const dest = join(scratch, 'dl', p.id, p.file);
      opts.logger?.info(`fetching ${p.url}`);
      await fetchVerified(p, c, dest, {
        ...(opts.logger ? { logger: opts.logger } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      records.push({ id: p.id, url: p.url, file: p.file, sha256: c.sha256, verifiedBy: c.verifiedBy });
      const entry: { planned: PlannedDownload; path: string; extracted?: string } = {
        planned: p,
        path: dest,
      };
      if (p.extract === 'tar') {
        const tar = await requireTool('tar', { debianPackage: 'tar', purpose: 'unpack recipe downloads' });
        const x = join(scratch, 'x', p.id);
        await mkdir(x, { recursive: true });
        // Checked from its listing before tar writes anything: no .., absolute names, devices,
        // FIFOs, or members below a symlink member.
        await checkArchive(tar, dest, `${p.file} (from ${p.url})`, {
          logger: opts.logger,
          signal: opts.signal,
        });
        await run(
          tar,
          ['-xf', dest, '-C', x, '--no-same-owner', '--no-same-permissions', '--delay-directory-restore'],
          { logger: opts.logger, signal: opts.signal },
        );
        entry.extracted = x;
      }
      fetched.set(p.id, entry);
    }

    const tree = join(scratch, 'tree');
    await mkdir(tree);
    await placeFiles(recipe, values, fetched, tree);
    // Links and units never write through what is already in the tree: a link and a unit (or
    // two entries) naming one path is an input error, and no parent directory may be a link.
    for (const [i, l] of recipe.links.entries()) {
      const what = `recipe ${recipe.name} links[${i}]`;
      const path = expand(l.path, values, what);
      await symlinkInside(tree, path, expand(l.target, values, what), { what: `${what}.path` });
    }
    for (const [p, content] of Object.entries(recipe.units))
      await writeFileInside(tree, p, content, { what: `recipe ${recipe.name} units`, mode: 0o644 });
    const hasUnits = Object.keys(recipe.units).some((p) => /\/systemd\/system\/[^/]+$/.test(p));
    const result = await createSysext({
      ...opts,
      name: opts.name ?? recipe.name,
      from: tree,
      version,
      arch,
      cwd,
      upholds: [...recipe.upholds, ...(opts.upholds ?? [])],
      reloadManager: opts.reloadManager ?? (recipe.reloadManager && hasUnits),
    });
    return { ...result, recipe: recipe.name, downloads: records };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    unregister();
  }
}

async function placeFiles(
  recipe: Recipe,
  values: ReturnType<typeof templateValues>,
  fetched: Map<string, { planned: PlannedDownload; path: string; extracted?: string }>,
  tree: string,
): Promise<void> {
  for (const [i, f] of recipe.files.entries()) {
    const where = `recipe ${recipe.name} files[${i}] (${f.from})`;
    const colon = f.from.indexOf(':');
    const id = colon < 0 ? f.from : f.from.slice(0, colon);
    const inner = colon < 0 ? undefined : expand(f.from.slice(colon + 1), values, where);
    const got = fetched.get(id)!;
    const to = expand(f.to, values, where);
    const toRel = splitRelative(to, `${where} to`).join('/');
    const mode = typeof f.mode === 'string' ? parseInt(f.mode, 8) : f.mode;
    // The source is named by a root and a path below it, so that nothing of the archive (or of
    // the download's name) is followed through a link.
    let srcRoot: string;
    let srcRel: string;
    if (inner === undefined) {
      if (got.extracted) [srcRoot, srcRel] = [got.extracted, ''];
      else [srcRoot, srcRel] = [posix.dirname(got.path), posix.basename(got.path)];
    } else {
      if (!got.extracted)
        throw new InputError({
          code: 'RECIPE_INVALID',
          message: `${where}: ${id} is a plain file, not an archive; use "${id}" without a path`,
          hint: 'fix the recipe',
        });
      [srcRoot, srcRel] = [got.extracted, inner.replace(/\/\*$/, '/')];
    }
    const src = await resolveInside(srcRoot, srcRel, {
      what: where,
      allowFinalSymlink: true,
      mustExist: false,
    });
    if (!src.stat) {
      throw new OperationError({
        code: 'RECIPE_FILE_MISSING',
        message: `${got.planned.file} (from ${got.planned.url}) has no ${inner ?? ''}`,
        hint: 'the upstream archive layout changed for this version; fix the recipe files: entry',
        details: { url: got.planned.url, path: inner },
      });
    }
    if (src.stat.isDirectory()) {
      for (const e of (await readdir(src.path)).sort()) {
        const rel = src.rel ? `${src.rel}/${e}` : e;
        await copyInside(srcRoot, rel, tree, posix.join(toRel, e), { what: where, replace: true });
      }
      if (mode !== undefined) await chmodTree(tree, toRel, mode, where);
    } else {
      // A recipe sets modes on the files it takes; when the archive has a link there instead,
      // the download is not what the recipe expects (and a chmod would have followed it).
      if (mode !== undefined && src.stat.isSymbolicLink())
        throw new UnsafePathError({
          code: FsErrorCode.Symlink,
          message: `${where}: ${src.rel} is a symbolic link in ${got.planned.file}, so mode ${mode.toString(8)} cannot be set on it`,
          hint: 'point files[].from at the real file inside the archive',
          details: { path: src.rel, url: got.planned.url },
        });
      const dest = to.endsWith('/') ? posix.join(toRel, posix.basename(src.rel)) : toRel;
      await copyInside(srcRoot, src.rel, tree, dest, { what: where, replace: true });
      // Modes are set through a no-follow descriptor; a link keeps its (meaningless) mode.
      await chmodInside(tree, dest, mode ?? src.stat.mode & 0o777, { what: `${where} to` });
    }
  }
}

// Files only (as before): directories keep the mode of the archive.
async function chmodTree(tree: string, rel: string, mode: number, where: string): Promise<void> {
  const dir = await resolveInside(tree, rel, { what: where });
  for (const e of await readdir(dir.path, { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await chmodTree(tree, p, mode, where);
    else if (e.isFile()) await chmodInside(tree, p, mode, { what: where });
  }
}
