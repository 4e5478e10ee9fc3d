import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { Recipe } from '../recipes/schema.js';

/** One row of `bakery list-recipes`. */
export interface RecipeListing {
  name: string;
  description: string;
  arches: string[];
  exampleVersion: string;
  /** how `--version latest` is resolved, or why it is not */
  versionSource: string;
  downloads: { id: string; url: string; checksum: string }[];
  params: Record<string, { default: string; description: string }>;
  upholds: string[];
  note?: string;
  /** the full recipe (with --json), a template for writing YAML recipes */
  recipe?: Recipe;
}

/** Summarize a recipe for listing. */
function describeRecipe(r: Recipe, full: boolean): RecipeListing {
  const latest = r.versions.latest;
  // Show real hosts; the remaining placeholders say what varies.
  const src = (t: string): string =>
    t.replace(/\{source\.([A-Za-z0-9_-]+)\}/g, (w, k: string) => r.sources[k] ?? w);
  return {
    name: r.name,
    description: r.description,
    arches: r.arches,
    exampleVersion: r.versions.example,
    versionSource: latest
      ? `${latest.kind === 'github-release' ? 'GitHub latest release' : 'text file'} ${src(latest.url)}`
      : 'none: pass --version',
    downloads: r.downloads.map((d) => ({
      id: d.id,
      url: src(d.url),
      checksum: !d.checksum
        ? 'none upstream: --sha256 FILE=HEX'
        : 'pinned' in d.checksum
          ? `pinned in recipe for ${Object.keys(d.checksum.pinned).join(', ')}`
          : `${d.checksum.kind === 'sums' ? 'SUMS file' : 'hex file'} ${src(d.checksum.url)}`,
    })),
    params: r.params,
    upholds: r.upholds,
    ...(r.versions.note ? { note: r.versions.note } : {}),
    ...(full ? { recipe: r } : {}),
  };
}

/** `bakery list-recipes [--json]`. */
export const listRecipesSpec = defineCommand({
  command: 'list-recipes',
  examples: [
    ['$0 list-recipes', 'the recipes bakery can build'],
    ['$0 list-recipes --json', 'as JSON'],
  ],
  describe: 'list the built-in recipes (bakery create --recipe NAME --version V)',
  run: async (_args, ctx) => {
    const { builtinRecipes } = await import('../recipes/registry.js');
    return builtinRecipes().map((r) => describeRecipe(r, ctx.json));
  },
  print: (rows: RecipeListing[], ctx: CommandContext) => {
    for (const r of rows) {
      writeOut(ctx, `${r.name.padEnd(16)} ${r.description}`);
      writeOut(
        ctx,
        `${''.padEnd(16)} e.g. --version ${r.exampleVersion}; latest: ${r.versionSource}; arches: ${r.arches.join(', ')}`,
      );
      for (const [k, p] of Object.entries(r.params))
        writeOut(ctx, `${''.padEnd(16)} --param ${k}=${p.default} (${p.description})`);
      for (const d of r.downloads) writeOut(ctx, `${''.padEnd(16)} ${d.id}: checksum ${d.checksum}`);
    }
  },
});
