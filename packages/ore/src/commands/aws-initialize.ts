import { defineCommand, writeOut } from '@mantle/core/cli';
import { InputError } from '@mantle/core/errors';
import { awsCommonOptions, checkRegionKnown, openAws } from './aws-common.js';

/** `ore aws initialize [--bucket s3://NAME]`: the bucket uploads go through and the vmimport role. */
export const awsInitializeCommand = defineCommand({
  command: 'initialize',
  examples: [['$0 aws initialize --region us-west-2', 'create the S3 bucket and vmimport role uploads need']],
  describe: 'create the S3 bucket for --import uploads and the vmimport role ImportSnapshot needs',
  builder: (y) =>
    awsCommonOptions(
      y.option('bucket', {
        type: 'string',
        describe: 's3://NAME (default s3://flatcar-kola-ami-import-<region>)',
      }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { ensureBucket, ensureImportRole } = await import('../aws/maintenance.js');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const clients = await openAws(args, ctx, dry);
    try {
      const bucket = (args.bucket ?? `s3://flatcar-kola-ami-import-${clients.region}`)
        .replace(/^s3:\/\//, '')
        .replace(/\/.*$/, '');
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
        throw new InputError({
          code: 'AWS_BAD_BUCKET',
          message: `--bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name`,
          hint: 'use 3-63 lower-case letters, digits, . and -',
          details: { flag: '--bucket' },
        });
      if (!dry) await checkRegionKnown(clients);
      const createdBucket = await ensureBucket(clients, bucket, ctx.logger);
      const createdRole = await ensureImportRole(clients, bucket, ctx.logger);
      return {
        region: clients.region,
        bucket,
        created: [...(createdBucket ? [`bucket ${bucket}`] : []), ...createdRole],
        ...(dry ? { dryRun: dry.calls } : {}),
      };
    } finally {
      clients.destroy();
    }
  },
  print: (r: { bucket: string; created: string[] }, ctx) =>
    writeOut(
      ctx,
      r.created.length > 0
        ? `created: ${r.created.join(', ')}`
        : `s3://${r.bucket} and the vmimport role exist`,
    ),
});
