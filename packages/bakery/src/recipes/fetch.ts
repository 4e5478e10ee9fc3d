import { basename } from 'node:path';
import { InputError, OperationError, errorMessage } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { checkSegment } from '@mantle/core/fs';
import { download, VerifyError, VerifyErrorCode } from '@mantle/core/verify';
import type { Recipe, RecipeDownload } from './schema.js';
import { expand, type TemplateValues } from './template.js';

const MAX_TEXT = 1 << 20;

/** GET a small text resource (version file, checksum file); OperationError (exit 1) naming the URL on failure. */
async function fetchText(url: string, opts: { signal?: AbortSignal; what: string }): Promise<string> {
  if (!/^https?:\/\//.test(url)) {
    throw new InputError({
      code: 'RECIPE_BAD_URL',
      message: `${opts.what}: ${url} is not an http(s) URL`,
      hint: 'recipe URLs and --base-url must be http:// or https://',
    });
  }
  const signals = [AbortSignal.timeout(60_000), ...(opts.signal ? [opts.signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.any(signals), headers: { 'user-agent': 'mantle-bakery' } });
  } catch (err) {
    throw new OperationError({
      code: 'RECIPE_FETCH_FAILED',
      message: `${opts.what}: cannot fetch ${url}: ${errorMessage(err)}`,
      hint: 'check the network or point --base-url at a mirror',
      cause: err,
      details: { url },
    });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new OperationError({
      code: 'RECIPE_FETCH_FAILED',
      message: `${opts.what}: ${url} answered HTTP ${res.status}`,
      hint:
        res.status === 404
          ? 'is the version right? (bakery list-recipes shows an example)'
          : 'try again later or use a mirror with --base-url',
      details: { url, status: res.status },
    });
  }
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > MAX_TEXT)
    throw new OperationError({
      code: 'RECIPE_FETCH_FAILED',
      message: `${opts.what}: ${url} is larger than 1 MiB`,
      hint: 'the URL does not point at a checksum or version file',
      details: { url },
    });
  return buf.toString('utf8');
}

/** Resolve `--version latest` through the recipe's version source. */
export async function resolveLatestVersion(
  recipe: Recipe,
  values: TemplateValues,
  signal?: AbortSignal,
): Promise<string> {
  const latest = recipe.versions.latest;
  if (!latest) {
    throw new InputError({
      code: 'RECIPE_NO_LATEST',
      message: `--version latest: recipe ${recipe.name} has no version source`,
      hint: `pass a version, e.g. --version ${recipe.versions.example}${recipe.versions.note ? ` (${recipe.versions.note})` : ''}`,
      details: { field: '--version' },
    });
  }
  const url = expand(latest.url, values, `recipe ${recipe.name} versions.latest.url`);
  const text = await fetchText(url, { what: `latest ${recipe.name} version`, ...(signal ? { signal } : {}) });
  let v: string;
  if (latest.kind === 'github-release') {
    try {
      const tag = (JSON.parse(text) as { tag_name?: unknown }).tag_name;
      v = typeof tag === 'string' ? tag : '';
    } catch {
      v = '';
    }
  } else {
    v = text.trim().split(/\s+/)[0] ?? '';
  }
  if (latest.stripV) v = v.replace(/^v/, '');
  if (!v)
    throw new OperationError({
      code: 'RECIPE_FETCH_FAILED',
      message: `latest ${recipe.name} version: ${url} held no version`,
      hint: 'pass --version explicitly',
      details: { url },
    });
  return v;
}

/** One download of a recipe, expanded for a build. */
export interface PlannedDownload {
  id: string;
  url: string;
  file: string;
  extract: 'tar' | 'file';
}

/** Expand a download's URL and decide its file name and extraction. */
export function planDownload(recipe: Recipe, d: RecipeDownload, values: TemplateValues): PlannedDownload {
  const url = expand(d.url, values, `recipe ${recipe.name} downloads.${d.id}.url`);
  const field = `recipe ${recipe.name} downloads.${d.id}.file`;
  const file = d.file ? expand(d.file, values, field) : decodeURIComponent(basename(new URL(url).pathname));
  // The name is a file in the download directory: one plain segment, whether the recipe gave it
  // or the URL did (a %2F in the URL decodes to '/').
  checkSegment(file, d.file ? field : `the file name of ${url} (set downloads.${d.id}.file)`);
  const extract = d.extract ?? (/\.(tgz|tar(\.(gz|xz|zst|bz2))?)$/.test(file) ? 'tar' : 'file');
  return { id: d.id, url, file, extract };
}

/** Where a download's sha256 came from. */
export interface ResolvedChecksum {
  sha256: string;
  verifiedBy: string;
}

/** The expected sha256 of a download: a --sha256 pin, the recipe's pin, or the upstream checksum file. */
export async function resolveChecksum(
  recipe: Recipe,
  d: RecipeDownload,
  planned: PlannedDownload,
  values: TemplateValues,
  pins: Record<string, string>,
  signal?: AbortSignal,
): Promise<ResolvedChecksum> {
  const pin = pins[planned.file] ?? pins[planned.id];
  if (pin !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(pin)) {
      throw new InputError({
        code: 'BAD_CHECKSUM',
        message: `--sha256 ${planned.file}=${pin}: not 64 hex digits`,
        hint: 'pass the sha256sum of the file',
        details: { field: '--sha256' },
      });
    }
    return { sha256: pin.toLowerCase(), verifiedBy: '--sha256' };
  }
  const c = d.checksum;
  if (c && 'pinned' in c) {
    const hex = c.pinned[values.version]?.[values.arch];
    if (hex) return { sha256: hex.toLowerCase(), verifiedBy: `recipe ${recipe.name} pin` };
  } else if (c) {
    const url = expand(c.url, values, `recipe ${recipe.name} downloads.${d.id}.checksum.url`);
    const text = await fetchText(url, { what: `checksum of ${planned.file}`, ...(signal ? { signal } : {}) });
    const entry = c.entry
      ? expand(c.entry, values, `recipe ${recipe.name} downloads.${d.id}.checksum.entry`)
      : planned.file;
    const hex = c.kind === 'sums' ? sumsEntry(text, entry) : firstHex(text);
    if (!hex) {
      throw new OperationError({
        code: 'RECIPE_CHECKSUM_MISSING',
        message: `checksum file ${url} has no ${c.kind === 'sums' ? `entry for ${entry}` : 'sha256'}`,
        hint: `pin it yourself: --sha256 ${planned.file}=HEX`,
        details: { url, entry },
      });
    }
    return { sha256: hex.toLowerCase(), verifiedBy: url };
  }
  throw new InputError({
    code: 'RECIPE_NO_CHECKSUM',
    message: `${planned.url}: no checksum is known (recipe ${recipe.name} has no pin for ${values.version}/${values.arch} and the upstream publishes none)`,
    hint: `verify the file yourself and pin it: --sha256 ${planned.file}=HEX`,
    details: { url: planned.url, file: planned.file },
  });
}

/** Download one file and verify it against the expected sha256; a mismatch names the URL and both hashes (exit 1). */
export async function fetchVerified(
  planned: PlannedDownload,
  expected: ResolvedChecksum,
  dest: string,
  opts: { logger?: Logger; signal?: AbortSignal },
): Promise<void> {
  try {
    await download(planned.url, dest, {
      expectedSha256: expected.sha256,
      skipIfValid: false,
      retries: 2,
      backoff: 200,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof VerifyError && err.code === VerifyErrorCode.ChecksumMismatch) {
      const actual = (err.details as { actual?: string } | undefined)?.actual ?? 'unknown';
      throw new VerifyError({
        code: VerifyErrorCode.ChecksumMismatch,
        message: `${planned.url}: sha256 mismatch: expected ${expected.sha256} (from ${expected.verifiedBy}), got ${actual}`,
        hint: 'the download is corrupt or was replaced upstream; nothing was built. Check the source, then pin the right digest with --sha256',
        cause: err,
        details: { url: planned.url, expected: expected.sha256, actual, verifiedBy: expected.verifiedBy },
      });
    }
    throw err;
  }
}

function sumsEntry(text: string, entry: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{64})(?:\s+[* ]?(?:\.\/)?(.+?))?\s*$/.exec(line.trim());
    if (!m) continue;
    if (m[2] === undefined || m[2] === entry || basename(m[2]) === entry) return m[1];
  }
  return undefined;
}

function firstHex(text: string): string | undefined {
  return /(?:^|\s)([0-9a-fA-F]{64})(?:\s|$)/.exec(text)?.[1];
}
