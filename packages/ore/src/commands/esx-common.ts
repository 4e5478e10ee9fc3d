import type { Argv } from 'yargs';
import type { CommandContext } from '@mantle/core/cli';
import { addProfileOptions, loadProfile, profileSelectionFromArgs } from '@mantle/core/profiles';
import type { DryRun } from '../cloud/dry-run.js';
import type { EsxClient } from '../esx/soap-client.js';

/** The flags every `ore esx` command takes, as `run` sees them. */
export interface EsxCommonArgs {
  dryRun?: boolean;
  esxInsecure?: boolean;
}

/** Add --dry-run, --esx-insecure and --esx-profile / --esx-config-file. */
export function esxCommonOptions<T>(y: Argv<T>) {
  return addProfileOptions(
    y
      .option('esx-insecure', {
        type: 'boolean',
        default: false,
        // Go mantle's ore (govmomi insecure=true) never verifies; ore does unless told.
        describe:
          'do not verify the host\'s TLS certificate (self-signed); also "insecure": true in the profile',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        // Unlike the REST clouds, the plan needs the host's answers (which VMs match, what the
        // OVF becomes), so a dry run logs in and reads; it only records what would change.
        describe: 'log in and read, print the calls that would change anything; change nothing',
      }),
    ['esx'],
  );
}

/** Log in with the selected profile of ~/.config/esx.json (Go mantle's file). */
export async function openEsx(args: EsxCommonArgs, ctx: CommandContext, dry?: DryRun): Promise<EsxClient> {
  const { EsxClient } = await import('../esx/soap-client.js');
  const sel = profileSelectionFromArgs(args as unknown as Record<string, unknown>, 'esx');
  const c = await loadProfile('esx', { ...sel, env: ctx.env, cwd: ctx.cwd });
  return EsxClient.connect({
    login: { server: c.server, user: c.user, password: c.password },
    profile: `profile "${c.profile}" of ${c.source}`,
    logger: ctx.logger,
    signal: ctx.signal,
    insecure: args.esxInsecure === true || c.insecure === true,
    ...(dry ? { dryRun: dry } : {}),
  });
}
