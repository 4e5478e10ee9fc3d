import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, errorMessage } from '@mantle/core/errors';
import { parse as parseYaml } from 'yaml';
import { containerdRecipe } from './builtin/containerd.js';
import { dockerComposeRecipe } from './builtin/docker-compose.js';
import { dockerRecipe } from './builtin/docker.js';
import { k3sRecipe } from './builtin/k3s.js';
import { kubernetesRecipe } from './builtin/kubernetes.js';
import { tailscaleRecipe } from './builtin/tailscale.js';
import { wasmtimeRecipe } from './builtin/wasmtime.js';
import { recipeSchema, type Recipe, type RecipeInput } from './schema.js';

const BUILTIN: readonly RecipeInput[] = [
  dockerRecipe,
  containerdRecipe,
  kubernetesRecipe,
  k3sRecipe,
  wasmtimeRecipe,
  tailscaleRecipe,
  dockerComposeRecipe,
];

// sysext-bakery's spellings.
const ALIASES: Readonly<Record<string, string>> = {
  docker_compose: 'docker-compose',
  'docker-compose-plugin': 'docker-compose',
  k8s: 'kubernetes',
};

/** Every built-in recipe, validated. */
export function builtinRecipes(): Recipe[] {
  return BUILTIN.map((r) => validateRecipe(r, `built-in recipe ${r.name}`));
}

/** A recipe by built-in name (or alias), or from a YAML/JSON file when the argument is a path. */
export async function loadRecipe(
  nameOrPath: string,
  opts: { cwd?: string } = {},
): Promise<{ recipe: Recipe; source: string }> {
  const looksLikePath = nameOrPath.includes('/') || /\.(ya?ml|json)$/.test(nameOrPath);
  if (!looksLikePath) {
    const name = ALIASES[nameOrPath] ?? nameOrPath;
    const hit = BUILTIN.find((r) => r.name === name);
    if (!hit) {
      throw new InputError({
        code: 'RECIPE_NOT_FOUND',
        message: `--recipe ${nameOrPath}: no built-in recipe of that name`,
        hint: `built-in recipes: ${BUILTIN.map((r) => r.name).join(', ')} (bakery list-recipes); or pass a recipe file path`,
        details: { field: '--recipe', value: nameOrPath },
      });
    }
    return { recipe: validateRecipe(hit, `built-in recipe ${hit.name}`), source: 'builtin' };
  }
  const path = resolve(opts.cwd ?? process.cwd(), nameOrPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({
      code: 'RECIPE_NOT_FOUND',
      message: `--recipe ${nameOrPath}: ${errorMessage(err)}`,
      hint: 'pass an existing recipe file or a built-in name',
      cause: err,
      details: { file: path },
    });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new InputError({
      code: 'RECIPE_INVALID',
      message: `${path}: not valid YAML: ${errorMessage(err)}`,
      hint: 'fix the syntax',
      cause: err,
      details: { file: path },
    });
  }
  return { recipe: validateRecipe(data, path), source: path };
}

/** Validate recipe data against the schema; InputError naming the file and the field path. */
export function validateRecipe(data: unknown, source: string): Recipe {
  const r = recipeSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 10)
      .map((i) => `  ${i.path.length > 0 ? i.path.join('.') : '(top)'}: ${i.message}`);
    throw new InputError({
      code: 'RECIPE_INVALID',
      message: `${source}: invalid recipe:\n${issues.join('\n')}`,
      hint: 'see bakery list-recipes --json for complete examples of the format',
      details: {
        file: source,
        issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    });
  }
  const recipe = r.data;
  const ids = new Set<string>();
  for (const d of recipe.downloads) {
    if (ids.has(d.id))
      throw new InputError({
        code: 'RECIPE_INVALID',
        message: `${source}: download id ${d.id} is used twice`,
        hint: 'give each download its own id',
        details: { file: source },
      });
    ids.add(d.id);
  }
  for (const f of recipe.files) {
    const id = f.from.split(':')[0]!;
    if (!ids.has(id))
      throw new InputError({
        code: 'RECIPE_INVALID',
        message: `${source}: files: from ${JSON.stringify(f.from)} names no download (ids: ${[...ids].join(', ')})`,
        hint: 'use ID or ID:path of a download',
        details: { file: source },
      });
  }
  return recipe;
}
