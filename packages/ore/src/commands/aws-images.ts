import { defineCommand, writeOut } from '@mantle/core/cli';
import { InputError } from '@mantle/core/errors';
import type { AmiInfo } from '../aws/images.js';
import { awsCommonOptions, openAws } from './aws-common.js';

/** `ore aws list-images [--name N] [--all]` */
export const awsListImagesCommand = defineCommand({
  command: 'list-images',
  examples: [
    ['$0 aws list-images --region us-east-1', 'your AMIs in a region'],
    ['$0 aws list-images --name flatcar-stable-4081.2.0 --json', 'one, as JSON'],
  ],
  describe: 'list our AMIs (tagged CreatedBy=mantle; --all: every one we own)',
  builder: (y) =>
    awsCommonOptions(
      y
        .option('name', { type: 'string', describe: 'only the image with this name' })
        .option('all', { type: 'boolean', default: false, describe: 'not only the ones ore made' }),
    ),
  run: async (args, ctx) => {
    const { listImages } = await import('../aws/images.js');
    const { MANTLE_TAG } = await import('../aws/tags.js');
    const { DryRun } = await import('../cloud/dry-run.js');
    const clients = await openAws(args, ctx, args.dryRun ? new DryRun(ctx.logger) : undefined);
    try {
      return await listImages(clients, {
        ...(args.name ? { name: args.name } : {}),
        ...(args.all ? {} : { tags: MANTLE_TAG }),
      });
    } finally {
      clients.destroy();
    }
  },
  print: (images: AmiInfo[], ctx) => {
    for (const i of images)
      writeOut(ctx, `${i.imageId}\t${i.name}\t${i.state}\t${i.created}\t${i.snapshotId ?? '-'}`);
  },
});

/** `ore aws delete --image ID | --ami-name NAME`: the image and its snapshot. */
export const awsDeleteCommand = defineCommand({
  command: 'delete',
  examples: [
    ['$0 aws delete --image ami-0123456789abcdef0', 'deregister an AMI and delete its snapshot'],
    ['$0 aws delete --ami-name flatcar-alpha-4152.0.0 --dry-run', 'show the calls without making them'],
  ],
  describe: 'deregister an AMI and delete its snapshot (nothing found is not an error)',
  builder: (y) =>
    awsCommonOptions(
      y
        .option('image', { type: 'string', describe: 'AMI id' })
        .option('ami-name', { type: 'string', describe: 'AMI name (as registered, e.g. ...-hvm)' }),
    ),
  run: async (args, ctx) => {
    if (!args.image && !args.amiName)
      throw new InputError({
        code: 'AWS_NO_IMAGE',
        message: 'name the image: --image ID or --ami-name NAME',
        hint: 'ore aws list-images lists them',
      });
    const { deleteImage, listImages } = await import('../aws/images.js');
    const { DryRun } = await import('../cloud/dry-run.js');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const clients = await openAws(args, ctx, dry);
    try {
      const found = args.image
        ? await listImages(clients, { ids: [args.image] }).catch(() => [])
        : await listImages(clients, { name: args.amiName! });
      const deleted = [];
      for (const img of found) deleted.push(await deleteImage(clients, img, ctx.logger));
      if (deleted.length === 0) ctx.logger.info('nothing found to delete');
      return { region: clients.region, deleted, ...(dry ? { dryRun: dry.calls } : {}) };
    } finally {
      clients.destroy();
    }
  },
  print: (r: { deleted: { imageId: string; snapshotId?: string | undefined }[] }, ctx) => {
    for (const d of r.deleted)
      writeOut(ctx, `deleted ${d.imageId}${d.snapshotId ? ` and ${d.snapshotId}` : ''}`);
  },
});

/** `ore aws copy-image --image ID REGION...` */
export const awsCopyImageCommand = defineCommand({
  command: 'copy-image <regions..>',
  examples: [
    [
      '$0 aws copy-image --image ami-0123456789abcdef0 us-west-1 eu-west-1',
      'copy an AMI to two more regions',
    ],
  ],
  describe: 'copy an AMI to regions (skipping those that have it), with its tags and launch permissions',
  builder: (y) =>
    awsCommonOptions(
      y
        .positional('regions', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'destination regions',
        })
        .option('image', { type: 'string', demandOption: true, describe: 'source AMI id (in --region)' })
        .option('poll-interval', {
          type: 'string',
          default: '15s',
          describe: 'first wait between polls of the copies',
        }),
    ),
  run: async (args, ctx) => {
    const { checkRegionName } = await import('../aws/clients.js');
    const { copyImage } = await import('../aws/images.js');
    const { parseDuration } = await import('../aws/maintenance.js');
    const { DryRun } = await import('../cloud/dry-run.js');
    for (const r of args.regions) checkRegionName(r);
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const clients = await openAws(args, ctx, dry);
    try {
      const amis = await copyImage(clients, args.image, args.regions, {
        logger: ctx.logger,
        signal: ctx.signal,
        pollMs: parseDuration(args.pollInterval, '--poll-interval'),
      });
      return dry ? { amis, dryRun: dry.calls } : amis;
    } finally {
      clients.destroy();
    }
  },
  print: (r: Record<string, string> | { amis: Record<string, string> }, ctx) =>
    writeOut(ctx, JSON.stringify('amis' in r && typeof r.amis === 'object' ? r.amis : r)),
});
