import type { Argv } from 'yargs';
import type { CommandContext } from '@mantle/core/cli';
import { addProfileOptions, loadProfile, profileSelectionFromArgs } from '@mantle/core/profiles';
import type { DryRun } from '../cloud/dry-run.js';
import type { RestClient } from '../cloud/rest-client.js';
import { dryRunOption } from './dry-run-option.js';

/** The flags every `ore do` command takes, as `run` sees them. */
export interface DoCommonArgs {
  dryRun?: boolean;
}

/** Add --dry-run and --do-profile / --do-config-file. */
export function doCommonOptions<T>(y: Argv<T>) {
  return addProfileOptions(y.option('dry-run', dryRunOption), ['do']);
}

/**
 * The API client for a command: the token of the selected profile of ~/.config/digitalocean.json
 * (Go mantle's file), the endpoint DIGITALOCEAN_API_URL (else the public API). A dry run
 * without credentials uses a placeholder token (nothing is sent).
 */
export async function openDo(args: DoCommonArgs, ctx: CommandContext, dry?: DryRun): Promise<RestClient> {
  const { doClient } = await import('../do/client.js');
  const sel = profileSelectionFromArgs(args as unknown as Record<string, unknown>, 'do');
  let token = 'dry-run';
  let profile = 'dry run';
  try {
    const c = await loadProfile('do', { ...sel, env: ctx.env, cwd: ctx.cwd });
    token = c.token;
    profile = `profile "${c.profile}" of ${c.source}`;
  } catch (err) {
    if (!dry) throw err;
  }
  const endpoint = ctx.env.DIGITALOCEAN_API_URL;
  return doClient({
    token,
    profile,
    ...(endpoint ? { endpoint } : {}),
    logger: ctx.logger,
    signal: ctx.signal,
    ...(dry ? { dryRun: dry } : {}),
  });
}
