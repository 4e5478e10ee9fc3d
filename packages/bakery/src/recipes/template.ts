import { InputError } from '@mantle/core/errors';
import type { Recipe } from './schema.js';

/** The values a recipe's templates are expanded with. */
export interface TemplateValues {
  version: string;
  arch: string;
  archNames: Record<string, string>;
  params: Record<string, string>;
  sources: Record<string, string>;
}

/** The template values for one build: recipe defaults, --param overrides, --base-url replacing every source. */
export function templateValues(
  recipe: Recipe,
  opts: { version: string; arch: string; params?: Record<string, string>; baseUrl?: string },
): TemplateValues {
  const params: Record<string, string> = {};
  for (const [k, p] of Object.entries(recipe.params)) params[k] = p.default;
  for (const [k, v] of Object.entries(opts.params ?? {})) {
    if (!(k in recipe.params)) {
      const known = Object.keys(recipe.params);
      throw new InputError({
        code: 'RECIPE_BAD_PARAM',
        message: `--param ${k}: recipe ${recipe.name} has no parameter ${JSON.stringify(k)}`,
        hint:
          known.length > 0
            ? `its parameters are: ${known.join(', ')}`
            : `recipe ${recipe.name} takes no parameters`,
        details: { field: '--param', value: k },
      });
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._+~-]*$/.test(v)) {
      throw new InputError({
        code: 'RECIPE_BAD_PARAM',
        message: `--param ${k}=${JSON.stringify(v)}: values are versions or names (letters, digits, . _ + ~ -)`,
        hint: 'fix the value',
        details: { field: '--param', value: v },
      });
    }
    params[k] = v;
  }
  const archNames: Record<string, string> = {};
  for (const [map, byArch] of Object.entries(recipe.archNames)) {
    const v = byArch[opts.arch];
    if (v !== undefined) archNames[map] = v;
  }
  const sources: Record<string, string> = {};
  for (const [k, v] of Object.entries(recipe.sources)) sources[k] = (opts.baseUrl ?? v).replace(/\/+$/, '');
  return { version: opts.version, arch: opts.arch, archNames, params, sources };
}

/** Expand {version}, {version:url}, {arch}, {arch.X}, {param.X}, {source.X}; unknown names are recipe errors. */
export function expand(text: string, v: TemplateValues, where: string): string {
  return text.replace(/\{([a-zA-Z][a-zA-Z0-9_.:-]*)\}/g, (whole, key: string) => {
    const val = lookup(key, v);
    if (val === undefined) {
      throw new InputError({
        code: 'RECIPE_BAD_TEMPLATE',
        message: `${where}: unknown placeholder ${whole}`,
        hint: 'use {version}, {version:url}, {arch}, {arch.NAME}, {param.NAME} or {source.NAME} with names the recipe defines',
        details: { field: where, placeholder: whole },
      });
    }
    return val;
  });
}

function lookup(key: string, v: TemplateValues): string | undefined {
  if (key === 'version') return v.version;
  if (key === 'version:url') return encodeURIComponent(v.version);
  if (key === 'arch') return v.arch;
  const dot = key.indexOf('.');
  if (dot < 0) return undefined;
  const ns = key.slice(0, dot);
  const name = key.slice(dot + 1);
  if (ns === 'arch') return v.archNames[name];
  if (ns === 'param') return v.params[name];
  if (ns === 'source') return v.sources[name];
  return undefined;
}
