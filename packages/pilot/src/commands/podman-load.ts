import { defineCommand, writeOut } from '@mantle/core/cli';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot podman load --oci FILE` */
export const podmanLoadSpec = defineCommand({
  command: 'load',
  examples: [['$0 podman load --oci aws-cli.tar', 'load an OCI archive as a container image']],
  describe: 'load an OCI (or docker) archive into the flakes podman storage',
  builder: (y) =>
    storeOptions(y).option('oci', {
      type: 'string',
      demandOption: true,
      describe:
        'the archive; when it does not exist, the last file matching FILE* (highest version) is loaded',
    }),
  run: async (args, ctx) => {
    const { loadImage } = await import('../podman/images.js');
    return loadImage(await storeFor(args, ctx), args.oci, {
      cwd: ctx.cwd,
      logger: ctx.logger,
      signal: ctx.signal,
    });
  },
  print: (r, ctx) => {
    for (const l of r.loaded) writeOut(ctx, l);
  },
});
