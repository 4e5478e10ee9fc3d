import { defineCommand, writeOut } from '@mantle/core/cli';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot podman pull --uri IMAGE` */
export const podmanPullSpec = defineCommand({
  command: 'pull',
  examples: [
    ['$0 podman pull --uri docker.io/amazon/aws-cli', 'pull a container image (flake-ctl podman pull)'],
  ],
  describe: 'pull a container image into the flakes podman storage',
  builder: (y) =>
    storeOptions(y)
      .option('uri', {
        type: 'string',
        demandOption: true,
        describe: 'the image to pull, e.g. docker.io/amazon/aws-cli',
      })
      .option('tls-verify', {
        type: 'boolean',
        default: true,
        describe: 'require HTTPS with a valid certificate (--no-tls-verify for a local plain-HTTP registry)',
      }),
  run: async (args, ctx) => {
    const { pullImage } = await import('../podman/images.js');
    return pullImage(await storeFor(args, ctx), args.uri, {
      tlsVerify: args.tlsVerify,
      logger: ctx.logger,
      signal: ctx.signal,
    });
  },
  print: (r, ctx) => writeOut(ctx, `${r.uri} ${r.id}`),
});
