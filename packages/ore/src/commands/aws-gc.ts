import { defineCommand, writeOut } from '@mantle/core/cli';
import type { AwsGcResult } from '../aws/maintenance.js';
import { awsCommonOptions, openAws } from './aws-common.js';
import { olderThanOption } from './older-than.js';

/** `ore aws gc --older-than 5h` */
export const awsGcCommand = defineCommand({
  command: 'gc',
  describe: 'delete AMIs and snapshots tagged CreatedBy=mantle that are older than --older-than',
  builder: (y) => awsCommonOptions(olderThanOption(y)),
  run: async (args, ctx) => {
    const { gcAws, parseDuration } = await import('../aws/maintenance.js');
    const { DryRun } = await import('../cloud/dry-run.js');
    const ms = parseDuration(args.olderThan);
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const clients = await openAws(args, ctx, dry);
    try {
      const r = await gcAws(clients, { olderThanMs: ms, olderThan: args.olderThan, logger: ctx.logger });
      return dry ? { ...r, dryRun: dry.calls } : r;
    } finally {
      clients.destroy();
    }
  },
  print: (r: AwsGcResult, ctx) => {
    for (const i of r.images) writeOut(ctx, `deleted image ${i.imageId} (${i.name}, ${i.created})`);
    for (const s of r.snapshots) writeOut(ctx, `deleted snapshot ${s}`);
    if (r.images.length + r.snapshots.length === 0)
      writeOut(ctx, `nothing older than ${r.olderThan} in ${r.region}`);
  },
});

/** `ore aws list-regions` */
export const awsListRegionsCommand = defineCommand({
  command: 'list-regions',
  describe: 'list the regions of the account (DescribeRegions)',
  builder: (y) => awsCommonOptions(y),
  run: async (args, ctx) => {
    const { listRegions } = await import('../aws/images.js');
    const { DryRun } = await import('../cloud/dry-run.js');
    const clients = await openAws(args, ctx, args.dryRun ? new DryRun(ctx.logger) : undefined);
    try {
      return await listRegions(clients);
    } finally {
      clients.destroy();
    }
  },
  print: (regions: { name: string; optIn: string }[], ctx) => {
    for (const r of regions) writeOut(ctx, `${r.name}\t${r.optIn}`);
  },
});
