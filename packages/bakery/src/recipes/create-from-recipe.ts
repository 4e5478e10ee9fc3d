import { chmod, cp, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { InputError, OperationError } from '@mantle/core/errors';
import { onCleanup } from '@mantle/core/cli';
import { requireTool, run } from '@mantle/core/exec';
import { createSysext, type CreateSysextOptions, type CreateSysextResult } from '../build/create-sysext.js';
import { checkVersion, normalizeSystemdArch } from '../sysext/names.js';
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

export interface RecipeDownloadRecord {
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
    for (const l of recipe.links) {
      const path = safeRel(
        expand(l.path, values, `recipe ${recipe.name} links`),
        `recipe ${recipe.name} links.path`,
      );
      const target = expand(l.target, values, `recipe ${recipe.name} links`);
      await mkdir(dirname(join(tree, path)), { recursive: true });
      await symlink(target, join(tree, path));
    }
    for (const [p, content] of Object.entries(recipe.units)) {
      const path = safeRel(p, `recipe ${recipe.name} units`);
      await mkdir(dirname(join(tree, path)), { recursive: true });
      await writeFile(join(tree, path), content, { mode: 0o644 });
    }
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
  for (const f of recipe.files) {
    const where = `recipe ${recipe.name} files ${f.from}`;
    const colon = f.from.indexOf(':');
    const id = colon < 0 ? f.from : f.from.slice(0, colon);
    const inner = colon < 0 ? undefined : expand(f.from.slice(colon + 1), values, where);
    const got = fetched.get(id)!;
    const to = expand(f.to, values, where);
    const toRel = safeRel(to, `${where} to`);
    const mode = typeof f.mode === 'string' ? parseInt(f.mode, 8) : f.mode;
    let src: string;
    if (inner === undefined) src = got.extracted ?? got.path;
    else {
      if (!got.extracted)
        throw new InputError({
          code: 'RECIPE_INVALID',
          message: `${where}: ${id} is a plain file, not an archive; use "${id}" without a path`,
          hint: 'fix the recipe',
        });
      src = join(got.extracted, safeRel(inner.replace(/\/\*$/, '/'), where));
    }
    const st = await stat(src).catch(() => undefined);
    if (!st) {
      throw new OperationError({
        code: 'RECIPE_FILE_MISSING',
        message: `${got.planned.file} (from ${got.planned.url}) has no ${inner ?? ''}`,
        hint: 'the upstream archive layout changed for this version; fix the recipe files: entry',
        details: { url: got.planned.url, path: inner },
      });
    }
    if (st.isDirectory()) {
      const destDir = join(tree, toRel);
      await mkdir(destDir, { recursive: true });
      for (const e of await readdir(src))
        await cp(join(src, e), join(destDir, e), { recursive: true, force: true, verbatimSymlinks: true });
      if (mode !== undefined) await chmodTree(destDir, mode);
    } else {
      const dest = to.endsWith('/') ? join(tree, toRel, posix.basename(src)) : join(tree, toRel);
      await mkdir(dirname(dest), { recursive: true });
      await cp(src, dest, { force: true });
      await chmod(dest, mode ?? st.mode & 0o777);
    }
  }
}

async function chmodTree(dir: string, mode: number): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await chmodTree(p, mode);
    else if (e.isFile()) await chmod(p, mode);
  }
}

function safeRel(p: string, where: string): string {
  const n = posix.normalize(p.replace(/^\.\//, ''));
  if (n.startsWith('/') || n === '..' || n.startsWith('../')) {
    throw new InputError({
      code: 'RECIPE_INVALID',
      message: `${where}: ${JSON.stringify(p)} leaves the tree`,
      hint: 'use relative paths without ..',
    });
  }
  return n === '.' ? '' : n;
}
