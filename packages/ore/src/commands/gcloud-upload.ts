import { basename, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { defineCommand, writeOut } from '@mantle/core/cli';
import { InputError } from '@mantle/core/errors';
import type { CreateGceImageResult } from '../gce/images.js';
import type { GceUploadResult } from '../gce/upload.js';
import { gceCommonOptions, openGce, openGcsBucket } from './gcloud-common.js';

/** `ore gcloud upload --bucket gs://b/p --file F [--name N] [--family F] [--license L]...` */
export const gcloudUploadCommand = defineCommand({
  command: 'upload',
  examples: [
    [
      '$0 gcloud upload --bucket gs://my-bucket/images --file flatcar_production_gce.tar.gz --name flatcar-stable-4081-2-0',
      'upload a GCE tarball and create the image',
    ],
  ],
  describe: 'upload a GCE image tarball (or a disk image, converted first) to GCS and create an image of it',
  builder: (y) =>
    gceCommonOptions(
      imageOptions(y)
        .option('bucket', {
          type: 'string',
          demandOption: true,
          describe: 'gs://bucket/prefix/ the tarball is uploaded to',
        })
        .option('file', {
          type: 'string',
          demandOption: true,
          describe: 'the image tarball (disk.raw in a gzip’d tar), or a disk image to make one of',
        })
        .option('name', {
          type: 'string',
          describe: 'image name (default: the file name made a GCE name)',
        })
        .option('public', {
          type: 'boolean',
          default: false,
          describe: 'let every authenticated Google user launch it',
        }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const { gceImageName } = await import('../gce/images.js');
    const file = resolve(ctx.cwd, args.file);
    const key = basename(file);
    const name = args.name ?? gceImageName(key.replace(/(\.tar)?\.gz$|\.(raw|bin|img)$/, ''));
    // refused before anything is uploaded
    checkCloudName('gce-image', name, '--name');
    const labels = parseLabels(args.label);
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const gce = await openGce(args, ctx, dry);
    try {
      const { checkGceStorageLocation } = await import('../gce/maintenance.js');
      if (args.storageLocation) await checkGceStorageLocation(gce, args.storageLocation);
      const store = await openGcsBucket(args.bucket, gce, ctx);
      const { uploadGceImage } = await import('../gce/upload.js');
      const { createProgress } = await import('../convert/progress.js');
      const r = await uploadGceImage(gce, store, {
        file,
        key,
        imageName: name,
        ...(args.family ? { family: args.family } : {}),
        ...(args.description ? { description: args.description } : {}),
        ...(args.license ? { licenses: args.license } : {}),
        labels,
        ...(args.storageLocation ? { storageLocation: args.storageLocation } : {}),
        force: args.force,
        public: args.public,
        logger: ctx.logger,
        signal: ctx.signal,
        progress: createProgress({ stream: ctx.stderr, logger: ctx.logger }),
      });
      return dry ? { ...r, dryRun: dry.calls } : r;
    } finally {
      await gce.destroy();
    }
  },
  print: (r: GceUploadResult, ctx) => writeOut(ctx, `${r.selfLink || r.image}\t${r.object}`),
});

/** `ore gcloud create-image --source gs://b/o.tar.gz --name N` */
export const gcloudCreateImageCommand = defineCommand({
  command: 'create-image',
  examples: [
    [
      '$0 gcloud create-image --source gs://my-bucket/images/flatcar_production_gce.tar.gz --name flatcar-stable-4081-2-0 --family flatcar-stable',
      'an image from a tarball already uploaded',
    ],
  ],
  describe: 'create an image from a tarball already in GCS (idempotent; --force replaces)',
  builder: (y) =>
    gceCommonOptions(
      imageOptions(y)
        .option('source', {
          type: 'string',
          demandOption: true,
          describe: 'gs://bucket/path/image.tar.gz',
        })
        .option('name', { type: 'string', demandOption: true, describe: 'image name' }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const { createGceImage, gcsSourceUrl } = await import('../gce/images.js');
    checkCloudName('gce-image', args.name, '--name');
    gcsSourceUrl(args.source);
    const labels = parseLabels(args.label);
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const gce = await openGce(args, ctx, dry);
    try {
      const { checkGceStorageLocation } = await import('../gce/maintenance.js');
      if (args.storageLocation) await checkGceStorageLocation(gce, args.storageLocation);
      const r = await createGceImage(gce, {
        name: args.name,
        source: args.source,
        ...(args.family ? { family: args.family } : {}),
        ...(args.description ? { description: args.description } : {}),
        ...(args.license ? { licenses: args.license } : {}),
        labels,
        ...(args.storageLocation ? { storageLocation: args.storageLocation } : {}),
        force: args.force,
        logger: ctx.logger,
      });
      return dry ? { ...r, dryRun: dry.calls } : r;
    } finally {
      await gce.destroy();
    }
  },
  print: (r: CreateGceImageResult, ctx) => writeOut(ctx, r.selfLink || r.name),
});

/** The flags of the image both upload and create-image make. */
function imageOptions<T>(y: Argv<T>) {
  return y
    .option('family', { type: 'string', describe: 'image family' })
    .option('description', { type: 'string', describe: 'image description' })
    .option('license', {
      type: 'string',
      array: true,
      describe: 'license (short name of this project or projects/P/global/licenses/L; repeatable)',
    })
    .option('label', { type: 'string', array: true, describe: 'key=value image label (repeatable)' })
    .option('storage-location', { type: 'string', describe: 'region or multi-region (us, eu, asia)' })
    .option('force', {
      type: 'boolean',
      default: false,
      describe: 'replace an image of the name made from another tarball',
    });
}

/** `--label k=v` flags as GCE labels (lower-case keys and values, as GCE requires). */
function parseLabels(flags: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags ?? []) {
    const m = /^([a-z][-_a-z0-9]{0,62})=([-_a-z0-9]{0,63})$/.exec(f);
    if (!m)
      throw new InputError({
        code: 'GCE_BAD_LABEL',
        message: `--label ${JSON.stringify(f)} is not a GCE label`,
        hint: 'write key=value with lower-case letters, digits, - and _ (keys start with a letter, at most 63 characters)',
        details: { flag: '--label', value: f },
      });
    out[m[1]!] = m[2]!;
  }
  return out;
}
