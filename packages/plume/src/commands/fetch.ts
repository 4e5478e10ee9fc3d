import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { FetchResult } from '../fetch/fetch-verified.js';
import { storeFlags, storeOptions } from './flags.js';

/** `plume fetch URL [OUT]`: what gangue get did, for http(s) and every store ore opens. */
export const fetchSpec = defineCommand({
  command: 'fetch <url> [out]',
  examples: [
    [
      '$0 fetch https://stable.release.flatcar-linux.net/amd64-usr/current/version.txt',
      'download and verify a file (what gangue get did)',
    ],
    [
      '$0 fetch gs://my-bucket/flatcar_production_image.bin.bz2 --verify-key signing.asc',
      'with its .sig checked against a key',
    ],
  ],
  describe: 'download a file and verify its detached signature (<url>.sig) before it gets its name',
  builder: (y) =>
    storeFlags(
      y
        .positional('url', {
          type: 'string',
          demandOption: true,
          describe: 'http(s)://, file:///, s3://, gs:// or azure://account/container/ URL of the file',
        })
        .positional('out', {
          type: 'string',
          describe: 'output file, or a directory to keep the file name in (default: .)',
        })
        .option('verify-key', {
          type: 'string',
          describe: 'public key (file: armored or binary keyring) that signed <url>.sig',
        })
        .option('sha256', { type: 'string', describe: 'expected sha256 (instead of or besides a signature)' })
        .option('keep-sig', {
          type: 'boolean',
          default: false,
          describe: 'keep the verified signature as OUT.sig',
        })
        .option('retries', {
          type: 'number',
          default: 5,
          describe: 'retries after network errors (a transfer that moved bytes gets fresh ones)',
        }),
    ),
  run: async (a, ctx) => {
    const { fetchVerified } = await import('../fetch/fetch-verified.js');
    const { StorePool } = await import('../fetch/object-url.js');
    const stores = new StorePool(storeOptions(a, ctx));
    try {
      return await fetchVerified({
        url: a.url,
        ...(a.out !== undefined ? { out: a.out } : {}),
        ...(a.verifyKey !== undefined ? { verifyKey: a.verifyKey } : {}),
        ...(a.sha256 !== undefined ? { sha256: a.sha256 } : {}),
        keepSig: a.keepSig,
        retries: a.retries,
        stores,
        cwd: ctx.cwd,
        logger: ctx.logger,
        signal: ctx.signal,
      });
    } finally {
      await stores.close();
    }
  },
  print: (r: FetchResult, ctx: CommandContext) => {
    const how = r.skipped ? 'kept (already verified)' : r.resumed ? 'resumed, verified' : 'verified';
    const by = r.signature
      ? `, signed by ${r.signature.signedBy ?? r.signature.fingerprint} (key ${r.signature.keyId})`
      : '';
    writeOut(ctx, `${r.path}: ${r.bytes} bytes, ${how}${by}, sha256 ${r.sha256}`);
  },
});
