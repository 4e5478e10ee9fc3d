import { defineCommand, writeOut } from '@mantle/core/cli';
import type { AwsSweepResult } from '../aws/instances.js';
import type { AwsGcResult } from '../aws/maintenance.js';
import { awsCommonOptions, openAws } from './aws-common.js';
import { olderThanOption } from './older-than.js';

/** `ore aws gc --older-than 5h` */
export const awsGcCommand = defineCommand({
  command: 'gc',
  examples: [['$0 aws gc --older-than 24h', 'delete test AMIs, snapshots and instances older than a day']],
  describe:
    'delete AMIs, snapshots, instances, security groups and key pairs tagged CreatedBy=mantle that are older than --older-than (or past their ExpiresAt tag)',
  builder: (y) => awsCommonOptions(olderThanOption(y)),
  run: async (args, ctx) => {
    const { gcAws, parseDuration } = await import('../aws/maintenance.js');
    const { gcAwsMachines } = await import('../aws/instances.js');
    const ms = parseDuration(args.olderThan);
    // a dry run reads for real (what is old is the point of it) and deletes nothing
    const dryRun = args.dryRun ?? false;
    const clients = await openAws(args, ctx);
    try {
      // Machines first: their instances may use nothing of the images, but kola's leaks are
      // instances (billed by the hour), so they go before the slower image sweep.
      const machines = await gcAwsMachines(clients, {
        olderThanMs: ms,
        dryRun,
        logger: ctx.logger,
        signal: ctx.signal,
      });
      const r = {
        ...(await gcAws(clients, { olderThanMs: ms, olderThan: args.olderThan, dryRun, logger: ctx.logger })),
        ...machines,
        dryRun,
      };
      return r;
    } finally {
      clients.destroy();
    }
  },
  print: (r: AwsGcResult & AwsSweepResult & { dryRun: boolean }, ctx) => {
    const [terminated, deleted] = r.dryRun ? ['would terminate', 'would delete'] : ['terminated', 'deleted'];
    for (const i of r.instances) writeOut(ctx, `${terminated} instance ${i}`);
    for (const g of r.securityGroups) writeOut(ctx, `${deleted} security group ${g}`);
    for (const k of r.keyPairs) writeOut(ctx, `${deleted} key pair ${k}`);
    for (const i of r.images) writeOut(ctx, `${deleted} image ${i.imageId} (${i.name}, ${i.created})`);
    for (const s of r.snapshots) writeOut(ctx, `${deleted} snapshot ${s}`);
    if (
      r.images.length +
        r.snapshots.length +
        r.instances.length +
        r.securityGroups.length +
        r.keyPairs.length ===
      0
    )
      writeOut(ctx, `nothing older than ${r.olderThan} in ${r.region}`);
  },
});

/** `ore aws list-regions` */
export const awsListRegionsCommand = defineCommand({
  command: 'list-regions',
  examples: [['$0 aws list-regions', 'the regions this account can use']],
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
