import { defineCommand, writeOut } from '@mantle/core/cli';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot vm pull --name N --kernel K [--rootfs R] [--initrd I]` (flake-ctl firecracker pull) */
export const vmPullSpec = defineCommand({
  command: 'pull',
  examples: [
    [
      '$0 vm pull --name leap --kernel vmlinux --rootfs rootfs.ext2',
      'a micro-VM image from a kernel and a root filesystem',
    ],
  ],
  describe: 'store a VM image (kernel, optional rootfs and initrd) under a name',
  builder: (y) =>
    storeOptions(y)
      .option('name', {
        type: 'string',
        demandOption: true,
        describe: 'the image name that vm register --vm uses',
      })
      .option('kernel', {
        type: 'string',
        demandOption: true,
        describe: 'kernel image: a file or an http(s) URL',
      })
      .option('rootfs', {
        type: 'string',
        describe: 'root file system image (ext2/3/4, read-only to the VM): a file or URL',
      })
      .option('initrd', {
        type: 'string',
        describe: 'initrd: a file or URL (without --rootfs it is the whole OS)',
      })
      .option('force', { type: 'boolean', default: false, describe: 'replace an image of the same name' }),
  run: async (args, ctx) => {
    const { pullVmImage } = await import('../vm/images.js');
    return pullVmImage(await storeFor(args, ctx), {
      name: args.name,
      kernel: args.kernel,
      rootfs: args.rootfs,
      initrd: args.initrd,
      force: args.force,
      cwd: ctx.cwd,
      logger: ctx.logger,
      signal: ctx.signal,
    });
  },
  print: (r, ctx) => writeOut(ctx, `${r.name}: ${r.dir} (${r.files.join(', ')})`),
});
