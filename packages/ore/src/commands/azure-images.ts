import { defineCommand, writeOut } from '@mantle/core/cli';
import type { AzureImageInfo } from '../azure/images.js';
import type { AzureGcResult } from '../azure/maintenance.js';
import { azureArmOptions, azureBlobOptions, blobSource, openArm, requireBlob } from './azure-common.js';
import { olderThanOption } from './older-than.js';

/** `ore azure create-image --resource-group G --image-name N --storage-account A --blob-name B` */
export const azureCreateImageCommand = defineCommand({
  command: 'create-image',
  examples: [
    [
      '$0 azure create-image --resource-group flatcar --storage-account myaccount --blob-name flatcar.vhd --image-name flatcar-4081.2.0',
      'a managed image from an uploaded VHD',
    ],
  ],
  describe:
    'create a managed image from an uploaded VHD page blob (reused when it exists from the same blob)',
  builder: (y) =>
    azureArmOptions(
      azureBlobOptions(
        y
          .option('image-name', { type: 'string', demandOption: true, describe: 'the managed image name' })
          .option('hyper-v-generation', {
            type: 'string',
            choices: ['V1', 'V2'] as const,
            default: 'V1',
            describe: 'VM generation the image boots on (V2: UEFI)',
          }),
      ),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const { createAzureImage } = await import('../azure/images.js');
    checkCloudName('azure-image', args.imageName, '--image-name');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const src = await blobSource(args, ctx);
    if (!dry) await requireBlob(src, args.blobName!);
    const arm = await openArm(args, ctx, dry);
    const r = await createAzureImage(arm, {
      resourceGroup: args.resourceGroup,
      name: args.imageName,
      location: args.location,
      blobUri: src.url,
      hyperVGeneration: args.hyperVGeneration as 'V1' | 'V2',
      logger: ctx.logger,
    });
    return dry ? { ...r, dryRun: dry.calls } : r;
  },
  print: (r: AzureImageInfo, ctx) => writeOut(ctx, r.id),
});

/** `ore azure list-images --resource-group G [--prefix P] [--all]` */
export const azureListImagesCommand = defineCommand({
  command: ['list-images', 'list'],
  examples: [
    [
      '$0 azure list-images --resource-group flatcar --json',
      'the managed images of a resource group, as JSON',
    ],
  ],
  describe: 'list the managed images of a resource group (tag CreatedBy=mantle; --all: every one)',
  builder: (y) =>
    azureArmOptions(
      y
        .option('prefix', { type: 'string', describe: 'only names starting with this' })
        .option('all', { type: 'boolean', default: false, describe: 'not only the ones ore made' }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { listAzureImages } = await import('../azure/images.js');
    const arm = await openArm(args, ctx, args.dryRun ? new DryRun(ctx.logger) : undefined);
    return listAzureImages(arm, args.resourceGroup, {
      all: args.all,
      ...(args.prefix ? { prefix: args.prefix } : {}),
    });
  },
  print: (images: AzureImageInfo[], ctx) => {
    for (const i of images)
      writeOut(
        ctx,
        `${i.name}\t${i.provisioningState}\t${i.hyperVGeneration}\t${i.created ?? '-'}\t${i.blobUri ?? '-'}`,
      );
  },
});

/** `ore azure delete-image --resource-group G --image-name N` */
export const azureDeleteImageCommand = defineCommand({
  command: 'delete-image',
  examples: [
    [
      '$0 azure delete-image --resource-group flatcar --image-name flatcar-4081.2.0',
      'delete a managed image',
    ],
  ],
  describe: 'delete a managed image (a missing one is reported, not an error)',
  builder: (y) =>
    azureArmOptions(
      y.option('image-name', { type: 'string', demandOption: true, describe: 'the image name' }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const { deleteAzureImage } = await import('../azure/images.js');
    checkCloudName('azure-image', args.imageName, '--image-name');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const arm = await openArm(args, ctx, dry);
    const deleted = await deleteAzureImage(arm, args.resourceGroup, args.imageName, { logger: ctx.logger });
    if (!deleted) ctx.logger.info(`no image ${args.imageName}: nothing to delete`);
    return { image: args.imageName, deleted, ...(dry ? { dryRun: dry.calls } : {}) };
  },
  print: (r: { image: string; deleted: boolean }, ctx) => {
    if (r.deleted) writeOut(ctx, `deleted ${r.image}`);
  },
});

/** `ore azure gc --resource-group G [--gallery-name N] --older-than 5h [--dry-run]` */
export const azureGcCommand = defineCommand({
  command: 'gc',
  examples: [
    ['$0 azure gc --resource-group flatcar --older-than 24h', "delete mantle's test images older than a day"],
  ],
  describe:
    'delete VMs (then their NICs, public IPs and vnets), managed images and gallery image versions of --gallery-name tagged CreatedBy=mantle older than --older-than',
  builder: (y) =>
    azureArmOptions(
      olderThanOption(
        y.option('gallery-name', { type: 'string', describe: 'also the image versions of this gallery' }),
      ),
    ),
  run: async (args, ctx) => {
    const { parseDuration } = await import('../aws/maintenance.js');
    const { gcAzure } = await import('../azure/maintenance.js');
    const { checkGalleryName } = await import('../azure/gallery.js');
    const ms = parseDuration(args.olderThan);
    if (args.galleryName) checkGalleryName(args.galleryName);
    // a dry run reads for real (what is old is the point of it) and deletes nothing
    const arm = await openArm(args, ctx);
    return gcAzure(arm, {
      resourceGroup: args.resourceGroup,
      olderThanMs: ms,
      olderThan: args.olderThan,
      ...(args.galleryName ? { gallery: args.galleryName } : {}),
      dryRun: args.dryRun,
      logger: ctx.logger,
    });
  },
  print: (r: AzureGcResult, ctx) => {
    const verb = r.dryRun ? 'would delete' : 'deleted';
    for (const v of r.versions)
      writeOut(ctx, `${verb} version ${v.gallery}/${v.image}/${v.version} (${v.created})`);
    for (const i of r.images) writeOut(ctx, `${verb} image ${i.name} (${i.created})`);
    for (const [what, names] of [
      ['VM', r.vms],
      ['NIC', r.nics],
      ['public IP', r.publicIps],
      ['vnet', r.vnets],
    ] as const)
      for (const n of names) writeOut(ctx, `${verb} ${what} ${n}`);
    const machines = r.vms.length + r.nics.length + r.publicIps.length + r.vnets.length;
    if (r.images.length + r.versions.length + machines === 0)
      writeOut(ctx, `nothing older than ${r.olderThan} in ${r.resourceGroup}`);
  },
});
