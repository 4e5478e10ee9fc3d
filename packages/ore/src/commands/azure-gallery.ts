import { defineCommand, writeOut } from '@mantle/core/cli';
import type { GalleryVersionInfo } from '../azure/gallery.js';
import { azureArmOptions, azureBlobOptions, blobSource, openArm, requireBlob } from './azure-common.js';

/**
 * `ore azure create-gallery-image --resource-group G --gallery-name N --image-definition D
 * --image-version 1.2.3 (--source-image NAME | --storage-account A --blob-name B)`
 */
export const azureCreateGalleryImageCommand = defineCommand({
  command: 'create-gallery-image',
  describe:
    'publish a gallery image version (making the gallery and image definition if needed) from a managed image or a VHD blob',
  builder: (y) =>
    azureArmOptions(
      azureBlobOptions(
        y
          .option('gallery-name', {
            type: 'string',
            demandOption: true,
            describe: 'the Azure Compute Gallery',
          })
          .option('image-definition', {
            alias: 'gallery-image-name',
            type: 'string',
            demandOption: true,
            describe: 'the gallery image definition',
          })
          .option('image-version', {
            alias: 'gallery-image-version',
            type: 'string',
            demandOption: true,
            describe: 'the image version, MAJOR.MINOR.PATCH',
          })
          .option('source-image', {
            type: 'string',
            describe: 'a managed image of --resource-group to publish',
          })
          .option('publisher', { type: 'string', default: 'flatcar', describe: 'image definition publisher' })
          .option('offer', {
            type: 'string',
            default: 'flatcar-container-linux',
            describe: 'image definition offer',
          })
          .option('sku', { type: 'string', describe: 'image definition sku (default: --image-definition)' })
          .option('hyper-v-generation', {
            type: 'string',
            choices: ['V1', 'V2'] as const,
            default: 'V2',
            describe: 'VM generation of the definition (V2: UEFI)',
          })
          .option('architecture', { type: 'string', choices: ['x64', 'Arm64'] as const, default: 'x64' })
          .option('target-regions', {
            type: 'string',
            array: true,
            describe:
              'regions the version is replicated to, comma-separated or repeated (default: --location)',
          })
          .option('exclude-from-latest', {
            type: 'boolean',
            default: false,
            describe: 'do not make it the latest version of the definition',
          }),
      ),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const g = await import('../azure/gallery.js');
    const { armId } = await import('../azure/images.js');
    g.checkGalleryName(args.galleryName);
    checkCloudName('azure-image', args.imageDefinition, '--image-definition');
    g.checkGalleryVersion(args.imageVersion, '--image-version');
    if (args.sourceImage) checkCloudName('azure-image', args.sourceImage, '--source-image');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    let source: { imageId?: string; blobUri?: string; storageAccountId?: string };
    const arm = await openArm(args, ctx, dry);
    if (args.sourceImage) {
      source = { imageId: armId(arm, args.resourceGroup, `Microsoft.Compute/images/${args.sourceImage}`) };
    } else {
      const src = await blobSource(args, ctx);
      if (!dry) await requireBlob(src, args.blobName!);
      source = {
        blobUri: src.url,
        storageAccountId: armId(
          arm,
          args.storageResourceGroup ?? args.resourceGroup,
          `Microsoft.Storage/storageAccounts/${src.account}`,
        ),
      };
    }
    const base = {
      resourceGroup: args.resourceGroup,
      gallery: args.galleryName,
      location: args.location,
      logger: ctx.logger,
    };
    await g.ensureGallery(arm, base);
    await g.ensureGalleryImage(arm, {
      ...base,
      definition: {
        name: args.imageDefinition,
        publisher: args.publisher,
        offer: args.offer,
        sku: args.sku ?? args.imageDefinition,
        hyperVGeneration: args.hyperVGeneration as 'V1' | 'V2',
        architecture: args.architecture as 'x64' | 'Arm64',
      },
    });
    const r = await g.createGalleryImageVersion(arm, {
      ...base,
      image: args.imageDefinition,
      version: args.imageVersion,
      source,
      ...(args.targetRegions
        ? { regions: args.targetRegions.flatMap((r) => String(r).split(',')).filter(Boolean) }
        : {}),
      excludeFromLatest: args.excludeFromLatest,
    });
    return dry ? { ...r, dryRun: dry.calls } : r;
  },
  print: (r: GalleryVersionInfo, ctx) => writeOut(ctx, r.id),
});

/** `ore azure list-gallery-versions --resource-group G --gallery-name N --image-definition D` */
export const azureListGalleryVersionsCommand = defineCommand({
  command: 'list-gallery-versions',
  describe: 'list the versions of a gallery image definition (tag CreatedBy=mantle; --all: every one)',
  builder: (y) =>
    azureArmOptions(
      y
        .option('gallery-name', { type: 'string', demandOption: true, describe: 'the Azure Compute Gallery' })
        .option('image-definition', {
          alias: 'gallery-image-name',
          type: 'string',
          demandOption: true,
          describe: 'the gallery image definition',
        })
        .option('all', { type: 'boolean', default: false, describe: 'not only the ones ore made' }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const g = await import('../azure/gallery.js');
    g.checkGalleryName(args.galleryName);
    const arm = await openArm(args, ctx, args.dryRun ? new DryRun(ctx.logger) : undefined);
    return g.listGalleryImageVersions(arm, args.resourceGroup, args.galleryName, args.imageDefinition, {
      all: args.all,
    });
  },
  print: (versions: GalleryVersionInfo[], ctx) => {
    for (const v of versions)
      writeOut(
        ctx,
        `${v.version}\t${v.provisioningState}\t${v.regions.join(',')}\t${v.created ?? '-'}\t${v.source ?? '-'}`,
      );
  },
});
