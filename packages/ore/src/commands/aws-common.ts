import type { Argv } from 'yargs';
import { InputError } from '@mantle/core/errors';
import type { CommandContext } from '@mantle/core/cli';
import { addProfileOptions, loadProfile, profileSelectionFromArgs } from '@mantle/core/profiles';
import type { AwsClients } from '../aws/clients.js';
import type { DryRun } from '../cloud/dry-run.js';
import { dryRunOption } from './dry-run-option.js';

/** The flags every `ore aws` command takes, as `run` sees them. */
export interface AwsCommonArgs {
  region?: string | undefined;
  dryRun?: boolean;
}

/** Add --region, --dry-run and --aws-profile/--aws-config-file. */
export function awsCommonOptions<T>(y: Argv<T>) {
  return addProfileOptions(
    y
      .option('region', {
        type: 'string',
        describe: 'AWS region (default: AWS_REGION, else the profile region, else us-west-2)',
      })
      .option('dry-run', dryRunOption),
    ['aws'],
  );
}

/**
 * The clients for a command: credentials from the selected profile, the region checked, endpoint
 * overrides from AWS_ENDPOINT_URL_<SERVICE>. A dry run without credentials uses placeholders.
 */
export async function openAws(args: AwsCommonArgs, ctx: CommandContext, dry?: DryRun): Promise<AwsClients> {
  const { awsClients, awsEndpointsFromEnv, checkRegionName } = await import('../aws/clients.js');
  const sel = profileSelectionFromArgs(args as unknown as Record<string, unknown>, 'aws');
  let creds: {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
    profile?: string;
    region?: string;
  };
  try {
    creds = await loadProfile('aws', { ...sel, env: ctx.env, cwd: ctx.cwd });
  } catch (err) {
    if (!dry) throw err;
    creds = { accessKeyId: 'DRYRUN', secretAccessKey: 'DRYRUN', profile: sel.profile ?? 'default' };
  }
  const region = checkRegionName(args.region ?? ctx.env.AWS_REGION ?? creds.region ?? 'us-west-2');
  return awsClients({
    region,
    credentials: { ...creds, profile: creds.profile ?? sel.profile ?? 'default' },
    endpoints: awsEndpointsFromEnv(ctx.env),
    logger: ctx.logger,
    ...(dry ? { dryRun: dry } : {}),
  });
}

/** An unknown region (not in DescribeRegions of the partition) is exit 2, before any work. */
export async function checkRegionKnown(clients: AwsClients): Promise<void> {
  const { listRegions } = await import('../aws/images.js');
  const home = clients.forRegion(clients.region.startsWith('us-gov-') ? 'us-gov-west-1' : 'us-east-1');
  try {
    const regions = await listRegions(home);
    if (!regions.some((r) => r.name === clients.region)) {
      throw new InputError({
        code: 'AWS_UNKNOWN_REGION',
        message: `--region ${clients.region} is not an AWS region`,
        hint: `use one of: ${regions.map((r) => r.name).join(', ')}`,
        details: { flag: '--region', value: clients.region },
      });
    }
  } finally {
    home.destroy();
  }
}
