import { UsageError } from '@mantle/core/errors';
import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { OpenStoreOptions } from '@mantle/ore/storage';
import type { PublishResult } from '../publish/publish.js';

/** `bakery publish DIR DEST`: images, SHA256SUMS(.gpg) and transfer files to file://, s3://, gs://, azure://. */
export const publishSpec = defineCommand({
  command: 'publish <dir> <dest>',
  examples: [
    [
      '$0 publish images s3://my-bucket/extensions --sign-key release@example.com',
      'upload the images with SHA256SUMS and its signature',
    ],
    ['$0 publish images file:///srv/extensions --dry-run', 'show what would be uploaded'],
  ],
  describe:
    'upload images, SHA256SUMS (signed with --sign-key) and transfer files to a store, in the layout systemd-sysupdate reads',
  builder: (y) =>
    y
      .positional('dir', {
        type: 'string',
        demandOption: true,
        describe: 'directory with NAME-VERSION-ARCH.raw files, SHA256SUMS, *.conf',
      })
      .positional('dest', {
        type: 'string',
        demandOption: true,
        describe: 'file:///dir, s3://bucket/prefix, gs://bucket/prefix, azure://account/container/prefix',
      })
      .option('sign-key', {
        type: 'string',
        describe: 'gpg key (id, fingerprint or user id) to sign SHA256SUMS with',
      })
      .option('gpg-homedir', { type: 'string', describe: 'GNUPGHOME holding the signing key' })
      .option('merge-sums', {
        type: 'boolean',
        default: true,
        describe: 'keep published entries whose images are still there (--no-merge-sums replaces SHA256SUMS)',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'show what would be uploaded' })
      .option('endpoint', {
        type: 'string',
        describe: 'service endpoint (S3-compatible servers, GCS/Azure emulators)',
      })
      .option('region', { type: 'string', describe: 'S3 region' }),
  run: async (a, ctx) => {
    if (a.gpgHomedir !== undefined && a.signKey === undefined)
      throw new UsageError({
        code: 'BAD_USAGE',
        message: '--gpg-homedir needs --sign-key',
        hint: 'name the key to sign with',
      });
    const store: OpenStoreOptions = {};
    if (a.endpoint !== undefined || a.region !== undefined) {
      store.s3 = {
        ...(a.endpoint !== undefined ? { endpoint: a.endpoint, forcePathStyle: true } : {}),
        ...(a.region !== undefined ? { region: a.region } : {}),
      };
      if (a.endpoint !== undefined) {
        store.gcs = { apiEndpoint: a.endpoint };
        store.azure = { endpoint: a.endpoint };
      }
    }
    const { publish } = await import('../publish/publish.js');
    return publish({
      dir: a.dir,
      dest: a.dest,
      ...(a.signKey !== undefined ? { signKey: a.signKey } : {}),
      ...(a.gpgHomedir !== undefined ? { gpgHomedir: a.gpgHomedir } : {}),
      mergeSums: a.mergeSums,
      dryRun: a.dryRun,
      store,
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
      signal: ctx.signal,
    });
  },
  print: (r: PublishResult, ctx: CommandContext) => {
    for (const o of r.objects) writeOut(ctx, `${o.action.padEnd(12)} ${r.dest}${o.key} (${o.size} bytes)`);
    if (r.kept.length > 0)
      writeOut(ctx, `SHA256SUMS keeps ${r.kept.length} earlier image(s): ${r.kept.join(', ')}`);
  },
});
