import type { Argv } from 'yargs';
import type { CommandContext } from '@mantle/core/cli';
import { addProfileOptions, loadProfile, profileSelectionFromArgs } from '@mantle/core/profiles';
import type { DryRun } from '../cloud/dry-run.js';
import type { OpenStackSession } from '../openstack/keystone.js';
import { dryRunOption } from './dry-run-option.js';

/** The flags every `ore openstack` command takes, as `run` sees them. */
export interface OpenStackCommonArgs {
  region?: string | undefined;
  dryRun?: boolean;
}

/** Add --region, --dry-run and --openstack-profile / --openstack-config-file. */
export function openStackCommonOptions<T>(y: Argv<T>) {
  return addProfileOptions(
    y
      .option('region', {
        type: 'string',
        describe: "region of the catalog (default: the profile's region_name, else the only one)",
      })
      .option('dry-run', dryRunOption),
    ['openstack'],
  );
}

/**
 * Log in with the selected profile of ~/.config/openstack.json (Go mantle's file) and pick the
 * region's endpoints. A dry run without credentials plans against placeholders.
 */
export async function openOpenStack(
  args: OpenStackCommonArgs,
  ctx: CommandContext,
  dry?: DryRun,
): Promise<OpenStackSession> {
  const { openStackSession } = await import('../openstack/keystone.js');
  const sel = profileSelectionFromArgs(args as unknown as Record<string, unknown>, 'openstack');
  let login = {
    authUrl: 'https://keystone.invalid/v3',
    username: 'dry-run',
    password: '',
    tenantName: 'dry-run',
  };
  let profile = 'dry run';
  try {
    const c = await loadProfile('openstack', { ...sel, env: ctx.env, cwd: ctx.cwd });
    login = c as typeof login;
    profile = `profile "${c.profile}" of ${c.source}`;
  } catch (err) {
    if (!dry) throw err;
  }
  return openStackSession({
    login,
    region: args.region,
    profile,
    logger: ctx.logger,
    signal: ctx.signal,
    ...(dry ? { dryRun: dry } : {}),
  });
}
