import { basename, resolve } from 'node:path';
import { defineCommand, writeOut } from '@mantle/core/cli';
import { InputError } from '@mantle/core/errors';
import type { AzureUploadBlobResult } from '../azure/upload-blob.js';

/** `ore azure upload-blob --file F --storage-account A [--container vhds] [--blob-name N]` */
export const azureUploadBlobCommand = defineCommand({
  command: 'upload-blob',
  examples: [
    [
      '$0 azure upload-blob --file flatcar_production_azure_image.vhd --storage-account myaccount --container vhds',
      'upload a fixed VHD as a page blob',
    ],
    [
      '$0 azure upload-blob --file flatcar.vhd --storage-account myaccount --container vhds --resume',
      'continue an upload that was interrupted',
    ],
  ],
  describe:
    'upload a fixed VHD (or a disk image, converted first) as a page blob: non-zero pages only, resumable',
  builder: (y) =>
    y
      .option('file', {
        type: 'string',
        demandOption: true,
        describe: 'the fixed VHD, or a disk image to make one of',
      })
      .option('storage-account', {
        type: 'string',
        describe: 'storage account (default: AZURE_STORAGE_ACCOUNT)',
      })
      .option('storage-key', {
        type: 'string',
        describe:
          'account key (default: AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING)',
      })
      .option('container', { type: 'string', default: 'vhds', describe: 'blob container' })
      .option('blob-name', { type: 'string', describe: 'blob name (default: the file name, ending .vhd)' })
      .option('overwrite', {
        type: 'boolean',
        default: false,
        describe: 'replace a finished blob of the name that holds another image',
      })
      .option('resume', {
        type: 'boolean',
        default: true,
        describe:
          'continue a killed upload of the same VHD from the pages the blob has (--no-resume: start over)',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'print the calls it would make; touch nothing',
      }),
  run: async (args, ctx) => {
    const account = args.storageAccount ?? ctx.env.AZURE_STORAGE_ACCOUNT;
    if (!account)
      throw new InputError({
        code: 'AZURE_NO_STORAGE_ACCOUNT',
        message: 'no --storage-account given (nor AZURE_STORAGE_ACCOUNT)',
        hint: 'name the storage account the blob goes to',
        details: { flag: '--storage-account' },
      });
    if (!/^[a-z0-9]{3,24}$/.test(account))
      throw badName('--storage-account', account, '3 to 24 lower-case letters and digits');
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(args.container))
      throw badName(
        '--container',
        args.container,
        '3 to 63 lower-case letters, digits and single hyphens, starting with a letter or digit',
      );
    const file = resolve(ctx.cwd, args.file);
    const blob = args.blobName ?? basename(file).replace(/(\.(raw|bin|img|vhd))?$/, '.vhd');
    if (blob.length > 1024 || blob.endsWith('.') || blob.endsWith('/'))
      throw badName('--blob-name', blob, 'at most 1024 characters, not ending in . or /');
    const { DryRun } = await import('../cloud/dry-run.js');
    const { openStore, isAzureStore } = await import('../storage/open-store.js');
    const { uploadAzureBlob } = await import('../azure/upload-blob.js');
    const { createProgress } = await import('../convert/progress.js');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const store = await openStore(`azure://${account}/${args.container}/`, {
      logger: ctx.logger,
      env: ctx.env,
      azure: { ...(args.storageKey ? { accountKey: args.storageKey } : {}) },
    });
    if (!isAzureStore(store)) throw new Error('not an Azure store');
    const r = await uploadAzureBlob(store, {
      file,
      blob,
      overwrite: args.overwrite,
      resume: args.resume,
      ...(dry ? { dryRun: dry } : {}),
      logger: ctx.logger,
      signal: ctx.signal,
      progress: createProgress({ stream: ctx.stderr, logger: ctx.logger }),
    });
    return dry ? { ...r, dryRun: dry.calls } : r;
  },
  print: (r: AzureUploadBlobResult, ctx) => writeOut(ctx, r.url),
});

function badName(flag: string, value: string, rule: string): InputError {
  return new InputError({
    code: 'AZURE_BAD_NAME',
    message: `${flag} ${JSON.stringify(value)} is not a valid name: ${rule}`,
    hint: `pick a ${flag.slice(2)} that follows Azure's rule`,
    details: { flag, value },
  });
}
