import type { Argv } from 'yargs';
import { InputError } from '@mantle/core/errors';
import type { CommandContext } from '@mantle/core/cli';
import { addProfileOptions, loadProfile, profileSelectionFromArgs } from '@mantle/core/profiles';
import type { AzureArm } from '../azure/arm-clients.js';
import type { DryRun } from '../cloud/dry-run.js';
import type { AzureStore } from '../storage/azure-store.js';
import { dryRunOption } from './dry-run-option.js';

/** The flags every `ore azure` Resource Manager command takes, as `run` sees them. */
export interface AzureArmArgs {
  resourceGroup: string;
  location: string;
  pollInterval: string;
  dryRun?: boolean;
}

/** Add --resource-group, --location, --dry-run and the credentials flags (--azure-profile, --azure-config-file). */
export function azureArmOptions<T>(y: Argv<T>) {
  return addProfileOptions(
    y
      .option('resource-group', {
        type: 'string',
        demandOption: true,
        describe: 'resource group of the images and galleries',
      })
      .option('location', {
        alias: 'region',
        type: 'string',
        default: 'westus',
        describe: 'Azure location of what is made',
      })
      .option('poll-interval', {
        type: 'string',
        default: '2s',
        describe: 'wait between polls of a long-running operation (Retry-After answers override it)',
      })
      .option('dry-run', dryRunOption),
    ['azure'],
  );
}

/**
 * The Resource Manager client of a command: the service principal of the selected credentials
 * (secrets are registered for redaction by the loader), the subscription (the profile's). A dry
 * run without credentials uses a placeholder subscription.
 */
export async function openArm(args: AzureArmArgs, ctx: CommandContext, dry?: DryRun): Promise<AzureArm> {
  const { azureArm, checkResourceGroupName } = await import('../azure/arm-clients.js');
  const { parseDuration } = await import('../aws/maintenance.js');
  const pollMs = parseDuration(args.pollInterval, '--poll-interval');
  checkResourceGroupName(args.resourceGroup);
  checkLocation(args.location);
  const sel = profileSelectionFromArgs(args as unknown as Record<string, unknown>, 'azure');
  let creds: Awaited<ReturnType<typeof loadProfile<'azure'>>> | undefined;
  try {
    creds = await loadProfile('azure', { ...sel, env: ctx.env, cwd: ctx.cwd });
  } catch (err) {
    if (!dry) throw err;
  }
  return azureArm({
    subscriptionId: creds?.subscriptionId ?? '00000000-0000-0000-0000-000000000000',
    ...(creds ? { credentials: creds } : {}),
    profile: creds ? `${creds.source}${creds.profile !== 'default' ? ` (${creds.profile})` : ''}` : 'default',
    logger: ctx.logger,
    signal: ctx.signal,
    pollMs,
    ...(dry ? { dryRun: dry } : {}),
  });
}

/** An Azure location name (westus, northeurope, ...); else exit 2 naming the flag. */
function checkLocation(location: string): void {
  if (/^[a-z][a-z0-9]{2,40}$/.test(location)) return;
  throw new InputError({
    code: 'AZURE_BAD_LOCATION',
    message: `--location ${JSON.stringify(location)} is not an Azure location name`,
    hint: 'use a name like westus or northeurope (az account list-locations lists them)',
    details: { flag: '--location', value: location },
  });
}

/** --storage-account, --storage-key, --container, --blob-name: where an uploaded VHD is. */
export function azureBlobOptions<T>(y: Argv<T>) {
  return y
    .option('storage-account', {
      type: 'string',
      describe: 'storage account of the VHD blob (default: AZURE_STORAGE_ACCOUNT)',
    })
    .option('storage-key', {
      type: 'string',
      describe: 'account key (default: AZURE_STORAGE_KEY or AZURE_STORAGE_CONNECTION_STRING)',
    })
    .option('storage-resource-group', {
      type: 'string',
      describe: "the storage account's resource group (default: --resource-group)",
    })
    .option('container', { type: 'string', default: 'vhds', describe: 'blob container' })
    .option('blob-name', {
      type: 'string',
      describe: 'the VHD page blob (ore azure upload-blob put it there)',
    });
}

/** The blob's URL in its account, after checking the blob exists (exit 2 naming the flag). */
export async function blobSource(
  args: {
    storageAccount?: string | undefined;
    storageKey?: string | undefined;
    container: string;
    blobName?: string | undefined;
  },
  ctx: CommandContext,
): Promise<{ url: string; account: string; store: AzureStore }> {
  const account = args.storageAccount ?? ctx.env.AZURE_STORAGE_ACCOUNT;
  if (!account || !args.blobName)
    throw new InputError({
      code: 'AZURE_NO_BLOB',
      message: `no ${account ? '--blob-name' : '--storage-account'} given: the VHD blob to make the image of`,
      hint: 'name the page blob that ore azure upload-blob made: --storage-account A --container C --blob-name B',
      details: { flag: account ? '--blob-name' : '--storage-account' },
    });
  const { openStore, isAzureStore } = await import('../storage/open-store.js');
  const store = await openStore(`azure://${account}/${args.container}/`, {
    logger: ctx.logger,
    env: ctx.env,
    azure: { ...(args.storageKey ? { accountKey: args.storageKey } : {}) },
  });
  if (!isAzureStore(store)) throw new Error('not an Azure store');
  return { url: store.url(args.blobName), account, store };
}

/** Fail (exit 2) when the blob is not there: Azure would fail the same way after the request. */
export async function requireBlob(src: { url: string; store: AzureStore }, blob: string): Promise<void> {
  if (await src.store.stat(blob)) return;
  throw new InputError({
    code: 'AZURE_BLOB_MISSING',
    message: `--blob-name: ${src.url} does not exist`,
    hint: 'upload the VHD first: ore azure upload-blob --file IMAGE',
    details: { flag: '--blob-name', url: src.url },
  });
}
