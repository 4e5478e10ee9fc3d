import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { PublishImageResult } from '../images/publish-image.js';
import { storeFlags, withStore } from './flags.js';

/** `plume publish-image ROOTFS_TAR --os OS --version V DEST`: an OS image into a metal-images store. */
export const publishImageSpec = defineCommand({
  command: 'publish-image <rootfs> <dest>',
  examples: [
    [
      '$0 publish-image rootfs.tar.lz4 s3://images --os debian --root 12 --index',
      'put an OS image into the image store and update its index',
    ],
  ],
  describe:
    'publish a rootfs tarball to an OS image store: <root>/<os>/<major.minor>/img.tar.lz4 + .md5 + packages.txt',
  builder: (y) =>
    storeFlags(
      y
        .positional('rootfs', {
          type: 'string',
          demandOption: true,
          describe: 'the rootfs tarball (docker export; plain or compressed)',
        })
        .positional('dest', {
          type: 'string',
          demandOption: true,
          describe:
            'the image store: file:///dir, s3://bucket/prefix, gs://..., azure://account/container/prefix',
        })
        .option('os', {
          type: 'string',
          demandOption: true,
          describe: 'OS name, e.g. debian, ubuntu, firewall',
        })
        .version(false)
        .option('version', {
          alias: 'V',
          type: 'string',
          demandOption: true,
          describe: 'MAJOR.MINOR.YYYYMMDD, e.g. 12.0.20261207',
        })
        .option('root', {
          type: 'string',
          default: 'stable',
          describe: 'store root: stable, release (the version’s YYYYMMDD), YYYYMMDD or pull_requests/<name>',
        })
        .option('packages', {
          type: 'string',
          describe: 'packages.txt content from this file (default: dpkg -l from the rootfs’s dpkg database)',
        })
        .option('index', {
          type: 'boolean',
          default: true,
          describe: 'update the store’s index pages for the image’s directories (--no-index to skip)',
        }),
    ),
  run: async (a, ctx) => {
    const { publishImage } = await import('../images/publish-image.js');
    return withStore(a.dest, a, ctx, async (store) =>
      publishImage({
        rootfs: a.rootfs,
        os: a.os,
        version: a.version,
        root: a.root,
        store,
        ...(a.packages !== undefined ? { packagesFile: a.packages } : {}),
        index: a.index,
        cwd: ctx.cwd,
        logger: ctx.logger,
        signal: ctx.signal,
      }),
    );
  },
  print: (r: PublishImageResult, ctx: CommandContext) => {
    const ratio = r.rootfsBytes > 0 ? ((100 * r.image.bytes) / r.rootfsBytes).toFixed(0) : '-';
    writeOut(
      ctx,
      `${r.url}${'img.tar.lz4'}: ${r.image.bytes} bytes (${ratio}% of ${r.rootfsBytes}), md5 ${r.image.md5}`,
    );
    writeOut(
      ctx,
      `packages.txt: ${r.packages.from === 'dpkg' ? `${r.packages.count} installed packages` : r.packages.from === 'file' ? 'from --packages' : 'unknown (no dpkg database)'}; ${r.os}-${r.version} in ${r.root} (${r.seconds.toFixed(1)} s)`,
    );
  },
});
