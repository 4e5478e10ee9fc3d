import { z } from 'zod';

// A recipe is data: where versions come from, what to download per architecture (each download
// verified by a checksum from the recipe, from a checksum file the upstream publishes, or pinned
// with --sha256), which files go where in the image, units, links and Upholds=. The built-in
// recipes and YAML recipe files share this schema.
//
// Templates: {version} {version:url} (URL-encoded, for k3s' "+"), {arch} (x86-64/arm64),
// {arch.NAME} (from archNames), {param.NAME}, {source.NAME} (from sources; --base-url replaces all).

const template = z.string().min(1);
const sha256Hex = z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits');

const checksumSchema = z.union([
  z
    .object({
      /** a checksum file the upstream publishes next to the download */
      url: template,
      /** sums: `<hex>  <name>` lines, the entry for `entry` (default: the download's file name) is used; hex: the first 64-hex token */
      kind: z.enum(['sums', 'hex']).default('hex'),
      entry: template.optional(),
    })
    .strict(),
  z
    .object({
      /** pinned digests: version → arch → hex */
      pinned: z.record(z.string(), z.record(z.string(), sha256Hex)),
    })
    .strict(),
]);

const downloadSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'ids are lower-case letters, digits, - and _'),
    url: template,
    /** the file name to save as and to match --sha256 pins (default: the URL's last path segment) */
    file: template.optional(),
    checksum: checksumSchema.optional(),
    /** tar: extract (gzip/xz/zstd auto-detected); file: use as is. Default: tar for .tar.*, .tgz; else file */
    extract: z.enum(['tar', 'file']).optional(),
  })
  .strict();

const placeSchema = z
  .object({
    /** ID (the downloaded file), ID:path (a file or, ending in /, a directory of an extracted archive), ID:dir/* (its entries) */
    from: z.string().regex(/^[a-z0-9][a-z0-9_-]*(:.+)?$/, 'expected ID or ID:path'),
    /** destination relative to the image root; ending in / places into that directory */
    to: template,
    mode: z.union([z.number().int(), z.string().regex(/^0?[0-7]{3,4}$/)]).optional(),
  })
  .strict();

export const recipeSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/),
    description: z.string(),
    homepage: z.string().optional(),
    /** where versions come from */
    versions: z
      .object({
        /** a version that is known to work, shown in list-recipes */
        example: z.string(),
        /** how --version latest is resolved: a GitHub releases/latest API URL or a text file */
        latest: z
          .object({
            url: template,
            kind: z.enum(['github-release', 'text']),
            stripV: z.boolean().default(false),
          })
          .strict()
          .optional(),
        note: z.string().optional(),
      })
      .strict(),
    arches: z
      .array(z.enum(['x86-64', 'arm64']))
      .min(1)
      .default(['x86-64', 'arm64']),
    archNames: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    sources: z.record(z.string(), z.string().url()).default({}),
    params: z
      .record(z.string(), z.object({ default: z.string(), description: z.string() }).strict())
      .default({}),
    downloads: z.array(downloadSchema).min(1),
    files: z.array(placeSchema).min(1),
    links: z.array(z.object({ path: template, target: template }).strict()).default([]),
    /** unit and config files: path relative to the image root → content (taken literally: units use ${...} themselves) */
    units: z.record(z.string(), z.string()).default({}),
    upholds: z.array(z.string()).default([]),
    reloadManager: z.boolean().default(true),
  })
  .strict();

/** A recipe as written (YAML or TS). */
export type RecipeInput = z.input<typeof recipeSchema>;
/** A validated recipe with defaults filled in. */
export type Recipe = z.output<typeof recipeSchema>;
export type RecipeDownload = z.output<typeof downloadSchema>;
