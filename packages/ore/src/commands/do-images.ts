import { defineCommand, writeOut } from '@mantle/core/cli';
import type { CreateDoImageResult, DoImageInfo } from '../do/images.js';
import type { DoGcResult } from '../do/maintenance.js';
import { doCommonOptions, openDo } from './do-common.js';
import { olderThanOption } from './older-than.js';

/** `ore do create-image --name N --url U --region R` */
export const doCreateImageCommand = defineCommand({
  command: 'create-image',
  examples: [
    [
      '$0 do create-image --region sfo3 --name flatcar-stable-4081.2.0 --url https://stable.release.flatcar-linux.net/amd64-usr/4081.2.0/flatcar_production_digitalocean_image.bin.bz2',
      'import a release as a custom image',
    ],
  ],
  describe:
    'create a custom image from a URL and wait until it is available (an existing one of that name is reused)',
  builder: (y) =>
    doCommonOptions(
      y
        .option('name', { alias: 'n', type: 'string', demandOption: true, describe: 'image name' })
        .option('url', {
          alias: 'u',
          type: 'string',
          demandOption: true,
          describe: 'where DigitalOcean downloads the image (raw, qcow2, vmdk, vhd; gzip or bzip2)',
        })
        .option('region', {
          type: 'string',
          default: 'sfo3',
          describe: 'region slug the image is imported to',
        })
        .option('distribution', {
          type: 'string',
          default: 'CoreOS',
          describe: "the distribution DigitalOcean shows (one of its list; Flatcar's docs use CoreOS)",
        })
        .option('description', { type: 'string', describe: 'image description' })
        .option('copy-to', {
          type: 'string',
          array: true,
          describe: 'more regions to make the image available in (transfer actions)',
        })
        .option('tag', { type: 'string', array: true, describe: 'more tags (mantle is always set)' })
        .option('poll-interval', {
          type: 'string',
          default: '10s',
          describe: 'first wait between polls of the import (grows with backoff)',
        }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const { checkDoImageUrl, createDoImage } = await import('../do/images.js');
    const { checkDoRegion } = await import('../do/regions.js');
    checkCloudName('do-image', args.name, '--name');
    checkDoImageUrl(args.url);
    const { parseDuration } = await import('../aws/maintenance.js');
    const pollMs = parseDuration(args.pollInterval, '--poll-interval');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const api = await openDo(args, ctx, dry);
    const copyTo = (args.copyTo ?? []).map(String);
    for (const r of [args.region, ...copyTo])
      await checkDoRegion(api, r, r === args.region ? '--region' : '--copy-to');
    const r = await createDoImage(api, {
      name: args.name,
      url: args.url,
      region: args.region,
      distribution: args.distribution,
      copyTo,
      ...(args.description ? { description: args.description } : {}),
      ...(args.tag ? { tags: args.tag.map(String) } : {}),
      logger: ctx.logger,
      signal: ctx.signal,
      pollMs,
    });
    return dry ? { ...r, dryRun: dry.calls } : r;
  },
  print: (r: CreateDoImageResult, ctx) => writeOut(ctx, String(r.image.id)),
});

/** `ore do delete-image --name N...` */
export const doDeleteImageCommand = defineCommand({
  command: 'delete-image',
  examples: [['$0 do delete-image --name flatcar-alpha-4152.0.0', 'delete a custom image']],
  describe: 'delete custom images by name (missing ones are reported, not an error)',
  builder: (y) =>
    doCommonOptions(
      y.option('name', {
        alias: 'n',
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'image name',
      }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { deleteDoImages } = await import('../do/images.js');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const api = await openDo(args, ctx, dry);
    const r = await deleteDoImages(api, args.name.map(String), { logger: ctx.logger });
    for (const m of r.missing) ctx.logger.info(`no image ${m}: nothing to delete`);
    return dry ? { ...r, dryRun: dry.calls } : r;
  },
  print: (r: { deleted: string[] }, ctx) => {
    for (const d of r.deleted) writeOut(ctx, `deleted ${d}`);
  },
});

/** `ore do list-images [--all] [--prefix P]` */
export const doListImagesCommand = defineCommand({
  command: 'list-images',
  examples: [['$0 do list-images --json', 'the custom images ore made, as JSON']],
  describe: 'list custom images (tag mantle; --all: every private image of the account)',
  builder: (y) =>
    doCommonOptions(
      y
        .option('prefix', { type: 'string', describe: 'only names starting with this' })
        .option('all', { type: 'boolean', default: false, describe: 'not only the ones ore made' }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { listDoImages } = await import('../do/images.js');
    const api = await openDo(args, ctx, args.dryRun ? new DryRun(ctx.logger) : undefined);
    return listDoImages(api, { all: args.all, ...(args.prefix ? { prefix: args.prefix } : {}) });
  },
  print: (images: DoImageInfo[], ctx) => {
    for (const i of images)
      writeOut(ctx, `${i.id}\t${i.name}\t${i.status}\t${i.regions.join(',') || '-'}\t${i.created}`);
  },
});

/** `ore do gc --older-than 5h` */
export const doGcCommand = defineCommand({
  command: 'gc',
  examples: [['$0 do gc --older-than 24h', 'delete test droplets and images older than a day']],
  describe: 'delete droplets and custom images tagged mantle that are older than --older-than',
  builder: (y) => doCommonOptions(olderThanOption(y)),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { parseDuration } = await import('../aws/maintenance.js');
    const { gcDo } = await import('../do/maintenance.js');
    const ms = parseDuration(args.olderThan);
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const api = await openDo(args, ctx, dry);
    const r = await gcDo(api, { olderThanMs: ms, olderThan: args.olderThan, logger: ctx.logger });
    return dry ? { ...r, dryRun: dry.calls } : r;
  },
  print: (r: DoGcResult, ctx) => {
    for (const d of r.droplets) writeOut(ctx, `deleted droplet ${d.name} (${d.created})`);
    for (const i of r.images) writeOut(ctx, `deleted image ${i.name} (${i.created})`);
    if (r.droplets.length + r.images.length === 0) writeOut(ctx, `nothing older than ${r.olderThan}`);
  },
});
