import { InputError, UsageError } from '@mantle/core/errors';
import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import { checkOutputDir } from '@mantle/core/fs';
import type { CreateSysextResult } from '../build/create-sysext.js';

/** What `bakery create` returns: the image built, and for recipes what was downloaded. */
export interface CreateCommandResult extends CreateSysextResult {
  recipe?: string;
  downloads?: { url: string; sha256: string; verifiedBy: string }[];
}

/** `bakery create NAME --from DIR` / `bakery create --recipe R --version V`. */
export const createSpec = defineCommand({
  command: 'create [name]',
  examples: [
    ['$0 create myext --from ./myext', 'a sysext image from a directory holding usr/ (bake.sh myext)'],
    [
      '$0 create --recipe docker --version 27.3.1 --arch arm64',
      "build the docker sysext from its recipe (as sysext-bakery's release)",
    ],
    [
      '$0 create myext --from ./myext --format erofs --os flatcar --out images',
      'an erofs image for Flatcar in images/',
    ],
  ],
  describe: 'build a sysext image NAME-VERSION-ARCH.raw from a directory tree or a recipe',
  builder: (y) =>
    // `--version V` is what sysext-bakery users type: the global --version yields to it here.
    y
      .version(false)
      .positional('name', {
        type: 'string',
        describe: 'extension name (the host loads /etc/extensions/NAME.raw); default: the recipe name',
      })
      .option('from', { type: 'string', describe: 'directory holding usr/ (and opt/) of the extension' })
      .option('recipe', {
        type: 'string',
        describe: 'build from a recipe: a built-in name (see list-recipes) or a YAML file',
      })
      .option('version', {
        type: 'string',
        describe:
          'version in the file name (NAME-VERSION-ARCH.raw); recipes: the upstream version or "latest"',
      })
      .option('arch', { type: 'string', describe: 'x86-64 (default) or arm64' })
      .option('os', {
        type: 'string',
        describe: 'os-release ID the extension is for, or _any (default _any)',
      })
      .option('sysext-level', { type: 'string', describe: 'SYSEXT_LEVEL= (flatcar: 1.0 by default)' })
      .option('version-id', { type: 'string', describe: 'VERSION_ID= the host must have' })
      .option('format', { type: 'string', default: 'squashfs', describe: 'squashfs, erofs, ext4 or btrfs' })
      .option('reload-manager', {
        type: 'boolean',
        describe: 'EXTENSION_RELOAD_MANAGER=1: systemd reloads units after merging',
      })
      .option('scope', {
        type: 'string',
        array: true,
        describe: 'SYSEXT_SCOPE= values: system, initrd, portable',
      })
      .option('upholds', {
        type: 'string',
        array: true,
        describe: 'units to start: UNIT (target by type) or TARGET:UNIT, writes Upholds= drop-ins',
      })
      .option('epoch', {
        // a string, so a bad value is echoed as typed (yargs would turn `abc` into NaN)
        type: 'string',
        describe: 'timestamp of every file (default $SOURCE_DATE_EPOCH, else 0)',
      })
      .option('out', {
        type: 'string',
        default: '.',
        describe: 'output directory (image and SHA256SUMS; created if missing, its parent must exist)',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'replace an image of the same name, version and architecture in --out',
      })
      .option('allow-setuid', {
        type: 'boolean',
        default: false,
        describe: 'allow setuid/setgid files in the tree',
      })
      .option('compression', {
        type: 'string',
        describe: 'squashfs compressor: gzip (default), zstd, xz, lz4, lzo',
      })
      .option('sums', {
        type: 'boolean',
        default: true,
        describe: 'add the image to SHA256SUMS in the output directory (--no-sums to skip)',
      })
      .option('base-url', {
        type: 'string',
        describe: 'recipes: fetch every download from this URL instead of upstream (mirrors, tests)',
      })
      .option('param', {
        type: 'string',
        array: true,
        describe: 'recipes: KEY=VALUE recipe parameters (e.g. runc=1.1.12)',
      })
      .option('sha256', {
        type: 'string',
        array: true,
        describe: 'recipes: FILE=HEX pinned checksum for a download without an upstream checksum',
      }),
  run: async (a, ctx) => {
    // Before a recipe downloads anything: a bad --out is exit 2 at once.
    await checkOutputDir(a.out, { cwd: ctx.cwd, flag: '--out' });
    const common = {
      ...(a.version !== undefined ? { version: String(a.version) } : {}),
      ...(a.arch !== undefined ? { arch: a.arch } : {}),
      ...(a.os !== undefined ? { os: a.os } : {}),
      ...(a.sysextLevel !== undefined ? { sysextLevel: String(a.sysextLevel) } : {}),
      ...(a.versionId !== undefined ? { versionId: String(a.versionId) } : {}),
      format: a.format,
      ...(a.reloadManager !== undefined ? { reloadManager: a.reloadManager } : {}),
      ...(a.scope ? { scope: a.scope } : {}),
      ...(a.upholds ? { upholds: a.upholds } : {}),
      ...(a.epoch !== undefined ? { epoch: a.epoch } : {}),
      outDir: a.out,
      force: a.force,
      allowSetuid: a.allowSetuid,
      ...(a.compression !== undefined ? { compression: a.compression } : {}),
      sums: a.sums,
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
      signal: ctx.signal,
    };
    let result: CreateCommandResult;
    if (a.recipe !== undefined) {
      if (a.from !== undefined)
        throw new UsageError({
          code: 'BAD_USAGE',
          message: '--recipe and --from were both given',
          hint: 'build either from a recipe or from a directory',
        });
      const { createFromRecipe } = await import('../recipes/create-from-recipe.js');
      result = await createFromRecipe({
        ...common,
        recipe: a.recipe,
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(a.baseUrl !== undefined ? { baseUrl: a.baseUrl } : {}),
        params: parseKeyValues(a.param ?? [], '--param'),
        pins: parseKeyValues(a.sha256 ?? [], '--sha256'),
      });
    } else {
      if (a.name === undefined)
        throw new UsageError({
          code: 'BAD_USAGE',
          message: 'NAME is required without --recipe',
          hint: 'bakery create NAME --from DIR, or bakery create --recipe docker --version 24.0.9',
        });
      if (a.from === undefined)
        throw new UsageError({
          code: 'BAD_USAGE',
          message: '--from DIR (or --recipe) is required',
          hint: 'bakery create NAME --from DIR',
        });
      for (const flag of ['baseUrl', 'param', 'sha256'] as const) {
        if (a[flag] !== undefined)
          throw new UsageError({
            code: 'BAD_USAGE',
            message: `--${flag === 'baseUrl' ? 'base-url' : flag} only applies to --recipe`,
            hint: 'drop it, or build from a recipe',
          });
      }
      const { createSysext } = await import('../build/create-sysext.js');
      result = await createSysext({ ...common, name: a.name, from: a.from });
    }
    for (const w of result.warnings) ctx.logger.warn(w);
    return result;
  },
  print: (r: CreateCommandResult, ctx: CommandContext) => {
    writeOut(ctx, `${r.path}`);
    writeOut(ctx, `  format ${r.format}, ${r.size} bytes, sha256 ${r.sha256}`);
    writeOut(
      ctx,
      `  metadata ${r.metadataPath}: ${Object.entries(r.metadata)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
    for (const u of r.upholds) writeOut(ctx, `  ${u.target} upholds ${u.unit}`);
    if (r.sumsFile) writeOut(ctx, `  recorded in ${r.sumsFile}`);
    writeOut(
      ctx,
      `  install: /opt/extensions/${r.name}/${r.file} with the symlink /etc/extensions/${r.name}.raw pointing to it`,
    );
  },
});

/** KEY=VALUE flags into a map; InputError naming the flag for anything else. */
function parseKeyValues(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0)
      throw new InputError({
        code: 'BAD_USAGE',
        message: `${flag} ${JSON.stringify(v)} is not KEY=VALUE`,
        hint: `e.g. ${flag} ${flag === '--sha256' ? 'docker-24.0.9.tgz=<64 hex digits>' : 'runc=1.1.12'}`,
        details: { field: flag, value: v },
      });
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}
