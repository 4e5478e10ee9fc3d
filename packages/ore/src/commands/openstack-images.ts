import { defineCommand, writeOut } from '@mantle/core/cli';
import type { CreateOpenStackImageResult, OpenStackImageInfo } from '../openstack/images.js';
import type { OpenStackGcResult } from '../openstack/maintenance.js';
import { olderThanOption } from './older-than.js';
import { openOpenStack, openStackCommonOptions } from './openstack-common.js';

/** `ore openstack create-image --file F --name N` */
export const openStackCreateImageCommand = defineCommand({
  command: 'create-image',
  examples: [
    [
      '$0 openstack create-image --file flatcar_production_openstack_image.img --name flatcar-stable-4081.2.0',
      'upload an image to Glance; prints its id',
    ],
  ],
  describe:
    'upload an image to the image service (Glance v2) and wait until active; prints its id (same name and bytes: reused)',
  builder: (y) =>
    openStackCommonOptions(
      y
        .option('file', {
          type: 'string',
          demandOption: true,
          describe:
            'the disk image: a file, or an http(s) URL (Glance web-download, else downloaded and uploaded)',
        })
        .option('name', { type: 'string', demandOption: true, describe: 'image name' })
        .option('disk-format', {
          type: 'string',
          choices: ['qcow2', 'raw', 'vmdk', 'vhd', 'vhdx'] as const,
          describe: 'Glance disk_format (default: qcow2 when the file is one, else raw)',
        })
        .option('visibility', {
          type: 'string',
          default: 'private',
          choices: ['private', 'shared', 'community', 'public'] as const,
          describe: 'who may use the image',
        })
        .option('poll-interval', {
          type: 'string',
          default: '2s',
          describe: 'first wait between polls of the image status (grows with backoff)',
        }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const { parseDuration } = await import('../aws/maintenance.js');
    const { checkInputPath } = await import('@mantle/core/fs');
    const { stat } = await import('node:fs/promises');
    const { createOpenStackImage, detectDiskFormat } = await import('../openstack/images.js');
    checkCloudName('openstack-image', args.name, '--name');
    const pollMs = parseDuration(args.pollInterval, '--poll-interval');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    if (/^https?:\/\//i.test(args.file)) {
      const { createOpenStackImageFromUrl, glanceImportMethods } = await import('../openstack/images.js');
      const os = await openOpenStack(args, ctx, dry);
      const common = {
        name: args.name,
        visibility: args.visibility as 'private',
        logger: ctx.logger,
        signal: ctx.signal,
        pollMs,
      };
      if ((await glanceImportMethods(os.image)).includes('web-download')) {
        const diskFormat =
          (args.diskFormat as undefined | 'qcow2') ??
          (/\.qcow2$/i.test(new URL(args.file).pathname) ? 'qcow2' : 'raw');
        const r = await createOpenStackImageFromUrl(os.image, { ...common, url: args.file, diskFormat });
        return { ...r, region: os.region, ...(dry ? { dryRun: dry.calls } : {}) };
      }
      // No web-download on this cloud: fetch it here, check it came whole, upload the file.
      ctx.logger.info('the image service offers no web-download import: downloading the image first');
      const { downloadFlagUrl } = await import('../cloud/download.js');
      const file = await downloadFlagUrl(args.file, {
        flag: '--file',
        signal: ctx.signal,
        logger: ctx.logger,
      });
      try {
        const diskFormat = (args.diskFormat as undefined | 'qcow2') ?? (await detectDiskFormat(file.path));
        const r = await createOpenStackImage(os.image, {
          ...common,
          file: file.path,
          size: file.bytes,
          diskFormat,
        });
        return { ...r, region: os.region, ...(dry ? { dryRun: dry.calls } : {}) };
      } finally {
        await file.remove();
      }
    }
    const path = await checkInputPath(args.file, { cwd: ctx.cwd, flag: '--file' });
    const diskFormat = (args.diskFormat as undefined | 'qcow2') ?? (await detectDiskFormat(path));
    const os = await openOpenStack(args, ctx, dry);
    const r = await createOpenStackImage(os.image, {
      name: args.name,
      file: path,
      size: (await stat(path)).size,
      diskFormat,
      visibility: args.visibility as 'private',
      logger: ctx.logger,
      signal: ctx.signal,
      pollMs,
    });
    return { ...r, region: os.region, ...(dry ? { dryRun: dry.calls } : {}) };
  },
  print: (r: CreateOpenStackImageResult, ctx) => writeOut(ctx, r.image.id),
});

/** `ore openstack delete-image --id ID... | --name N...` */
export const openStackDeleteImageCommand = defineCommand({
  command: 'delete-image',
  examples: [
    ['$0 openstack delete-image --id 4b4f3b6e-1d2c-4f0e-9f55-2f1c0b7d9a11', 'delete an image by id'],
    ['$0 openstack delete-image --name flatcar-alpha-4152.0.0', 'delete the images of that name'],
  ],
  describe: 'delete images by id or name (missing ones are reported, not an error)',
  builder: (y) =>
    openStackCommonOptions(
      y
        .option('id', { type: 'string', array: true, describe: 'image id' })
        .option('name', { type: 'string', array: true, describe: 'image name (every image of that name)' })
        .check((a) => {
          if ((a.id?.length ?? 0) + (a.name?.length ?? 0) === 0) throw new Error('give --id or --name');
          return true;
        }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { deleteOpenStackImage, listOpenStackImages } = await import('../openstack/images.js');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const os = await openOpenStack(args, ctx, dry);
    const out = { deleted: [] as string[], missing: [] as string[] };
    const ids = (args.id ?? []).map(String);
    for (const name of (args.name ?? []).map(String)) {
      const found = await listOpenStackImages(os.image, { all: true, name });
      if (found.length === 0) out.missing.push(name);
      ids.push(...found.map((i) => i.id));
    }
    for (const id of ids) ((await deleteOpenStackImage(os.image, id)) ? out.deleted : out.missing).push(id);
    for (const m of out.missing) ctx.logger.info(`no image ${m}: nothing to delete`);
    return dry ? { ...out, dryRun: dry.calls } : out;
  },
  print: (r: { deleted: string[] }, ctx) => {
    for (const d of r.deleted) writeOut(ctx, `deleted ${d}`);
  },
});

/** `ore openstack list-images [--all] [--prefix P]` */
export const openStackListImagesCommand = defineCommand({
  command: 'list-images',
  examples: [['$0 openstack list-images --json', 'the images ore made, as JSON']],
  describe: 'list images (tag mantle; --all: every image the project sees)',
  builder: (y) =>
    openStackCommonOptions(
      y
        .option('prefix', { type: 'string', describe: 'only names starting with this' })
        .option('all', { type: 'boolean', default: false, describe: 'not only the ones ore made' }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { listOpenStackImages } = await import('../openstack/images.js');
    const os = await openOpenStack(args, ctx, args.dryRun ? new DryRun(ctx.logger) : undefined);
    return listOpenStackImages(os.image, { all: args.all, ...(args.prefix ? { prefix: args.prefix } : {}) });
  },
  print: (images: OpenStackImageInfo[], ctx) => {
    for (const i of images)
      writeOut(
        ctx,
        `${i.id}\t${i.name}\t${i.status}\t${i.diskFormat ?? '-'}\t${i.size ?? '-'}\t${i.created}`,
      );
  },
});

/** `ore openstack gc --older-than 5h` */
export const openStackGcCommand = defineCommand({
  command: 'gc',
  examples: [['$0 openstack gc --older-than 24h', 'delete test servers and images older than a day']],
  describe: 'delete servers (metadata CreatedBy=mantle) and images (tag mantle) older than --older-than',
  builder: (y) => openStackCommonOptions(olderThanOption(y)),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { parseDuration } = await import('../aws/maintenance.js');
    const { gcOpenStack } = await import('../openstack/maintenance.js');
    const ms = parseDuration(args.olderThan);
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const os = await openOpenStack(args, ctx, dry);
    const r = await gcOpenStack(os, { olderThanMs: ms, olderThan: args.olderThan, logger: ctx.logger });
    return dry ? { ...r, dryRun: dry.calls } : r;
  },
  print: (r: OpenStackGcResult, ctx) => {
    for (const s of r.servers) writeOut(ctx, `deleted server ${s.name} (${s.created})`);
    for (const i of r.images) writeOut(ctx, `deleted image ${i.name} (${i.created})`);
    if (r.servers.length + r.images.length === 0)
      writeOut(ctx, `nothing older than ${r.olderThan} in ${r.region}`);
  },
});
