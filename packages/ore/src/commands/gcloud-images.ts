import { defineCommand, writeOut } from '@mantle/core/cli';
import type { GceGcResult } from '../gce/maintenance.js';
import type { GceDeprecationState, GceImageInfo } from '../gce/images.js';
import { gceCommonOptions, openGce } from './gcloud-common.js';
import { olderThanOption } from './older-than.js';

/** `ore gcloud list-images [--prefix P] [--family F] [--all]` */
export const gcloudListImagesCommand = defineCommand({
  command: 'list-images',
  examples: [
    [
      '$0 gcloud list-images --project my-project --prefix flatcar-',
      'the images whose names start with flatcar-',
    ],
  ],
  describe: 'list our images (label created-by=mantle; --all: every one of the project)',
  builder: (y) =>
    gceCommonOptions(
      y
        .option('prefix', { type: 'string', describe: 'only names starting with this' })
        .option('family', { type: 'string', describe: 'only this family' })
        .option('all', { type: 'boolean', default: false, describe: 'not only the ones ore made' }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { listGceImages } = await import('../gce/images.js');
    const gce = await openGce(args, ctx, args.dryRun ? new DryRun(ctx.logger) : undefined);
    try {
      return await listGceImages(gce, {
        ...(args.prefix ? { prefix: args.prefix } : {}),
        ...(args.family ? { family: args.family } : {}),
        all: args.all,
      });
    } finally {
      await gce.destroy();
    }
  },
  print: (images: GceImageInfo[], ctx) => {
    for (const i of images)
      writeOut(ctx, `${i.name}\t${i.status}\t${i.family ?? '-'}\t${i.created}\t${i.deprecated ?? 'ACTIVE'}`);
  },
});

/** `ore gcloud delete-images NAME...` */
export const gcloudDeleteImagesCommand = defineCommand({
  command: 'delete-images <names..>',
  examples: [['$0 gcloud delete-images flatcar-alpha-4152-0-0 flatcar-alpha-4153-0-0', 'delete two images']],
  describe: 'delete images by name (missing ones are reported, not an error)',
  builder: (y) =>
    gceCommonOptions(y.positional('names', { type: 'string', array: true, demandOption: true })),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const { deleteGceImages } = await import('../gce/images.js');
    const names = (args.names ?? []).map(String);
    for (const n of names) checkCloudName('gce-image', n, 'image name');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const gce = await openGce(args, ctx, dry);
    try {
      const r = await deleteGceImages(gce, names, { logger: ctx.logger });
      for (const m of r.missing) ctx.logger.info(`no image ${m}: nothing to delete`);
      return dry ? { ...r, dryRun: dry.calls } : r;
    } finally {
      await gce.destroy();
    }
  },
  print: (r: { deleted: string[] }, ctx) => {
    for (const d of r.deleted) writeOut(ctx, `deleted ${d}`);
  },
});

/** `ore gcloud deprecate --image N --state DEPRECATED [--replacement M]` */
export const gcloudDeprecateCommand = defineCommand({
  command: 'deprecate',
  examples: [
    [
      '$0 gcloud deprecate --image flatcar-stable-4081-2-0 --state DEPRECATED --replacement flatcar-stable-4081-3-0',
      'point users at the newer image',
    ],
  ],
  describe: 'set the deprecation state of an image',
  builder: (y) =>
    gceCommonOptions(
      y
        .option('image', { type: 'string', demandOption: true, describe: 'image name' })
        .option('state', {
          type: 'string',
          default: 'DEPRECATED',
          choices: ['ACTIVE', 'DEPRECATED', 'OBSOLETE', 'DELETED'] as const,
          describe: 'the new state',
        })
        .option('replacement', { type: 'string', describe: 'the image to use instead' }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { deprecateGceImage } = await import('../gce/images.js');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const gce = await openGce(args, ctx, dry);
    try {
      await deprecateGceImage(gce, args.image, {
        state: args.state as GceDeprecationState,
        ...(args.replacement ? { replacement: args.replacement } : {}),
        logger: ctx.logger,
      });
      return { image: args.image, state: args.state, ...(dry ? { dryRun: dry.calls } : {}) };
    } finally {
      await gce.destroy();
    }
  },
  print: (r: { image: string; state: string }, ctx) => writeOut(ctx, `${r.image}\t${r.state}`),
});

/** `ore gcloud gc --older-than 5h` */
export const gcloudGcCommand = defineCommand({
  command: 'gc',
  examples: [
    [
      '$0 gcloud gc --older-than 24h --project my-project',
      'delete test images and instances older than a day',
    ],
  ],
  describe: 'delete images and instances labelled created-by=mantle that are older than --older-than',
  builder: (y) => gceCommonOptions(olderThanOption(y)),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { parseDuration } = await import('../aws/maintenance.js');
    const { gcGce, checkGceZoneKnown } = await import('../gce/maintenance.js');
    const ms = parseDuration(args.olderThan);
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const gce = await openGce(args, ctx, dry);
    try {
      if (!dry) await checkGceZoneKnown(gce, args.zone);
      const r = await gcGce(gce, {
        zone: args.zone,
        olderThanMs: ms,
        olderThan: args.olderThan,
        logger: ctx.logger,
      });
      return dry ? { ...r, dryRun: dry.calls } : r;
    } finally {
      await gce.destroy();
    }
  },
  print: (r: GceGcResult, ctx) => {
    for (const i of r.instances) writeOut(ctx, `deleted instance ${i.name} (${i.created})`);
    for (const i of r.images) writeOut(ctx, `deleted image ${i.name} (${i.created})`);
    if (r.images.length + r.instances.length === 0)
      writeOut(ctx, `nothing older than ${r.olderThan} in ${r.project} (${r.zone})`);
  },
});
