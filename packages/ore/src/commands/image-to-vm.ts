import { defineCommand, writeOut } from '@mantle/core/cli';
import { BUILTIN_PLATFORMS } from '../vm/platforms.js';
import type { ToVmResult } from '../vm/to-vm.js';

/** `ore image to-vm IMAGE --platform P` */
export const imageToVmCommand = defineCommand({
  command: 'to-vm <image>',
  examples: [
    [
      '$0 image to-vm flatcar_production_image.bin -p qemu --out-dir out',
      'what image_to_vm.sh --format=qemu does',
    ],
    [
      '$0 image to-vm flatcar_production_image.bin -p ami_vmdk -p gce --out-dir out',
      'images for EC2 and GCE',
    ],
  ],
  describe: "make a platform's image from a production image (what the SDK's image_to_vm.sh does)",
  builder: (y) =>
    y
      .positional('image', {
        type: 'string',
        demandOption: true,
        describe: 'the production image (flatcar_production_image.bin, optionally compressed, or qcow2)',
      })
      .option('platform', {
        alias: ['p', 'format'],
        type: 'string',
        demandOption: true,
        describe: `target platform: ${BUILTIN_PLATFORMS.map((p) => p.name).join(', ')} (or one of --platforms-file)`,
      })
      .option('out-dir', { alias: 'to', type: 'string', describe: "output directory (default: the image's)" })
      .option('platforms-file', {
        type: 'string',
        describe:
          'JSON {"platforms":[{name, oemId, diskFormat, rootSectors, extension, grub?, conf?, qemu?, memoryMiB?}]} adding or overriding platforms',
      })
      .option('os-version', {
        type: 'string',
        describe: 'OS version (default: FLATCAR_VERSION of version.txt beside the image)',
      })
      .option('oem-sysext', { type: 'string', describe: 'OEM sysext image to install in /oem/sysext' })
      .option('force', { type: 'boolean', default: false, describe: 'replace existing outputs' }),
  run: async (args, ctx) => {
    const { toVm } = await import('../vm/to-vm.js');
    const { createProgress } = await import('../convert/progress.js');
    return toVm({
      image: args.image,
      platform: args.platform,
      ...(args.outDir ? { outDir: args.outDir } : {}),
      ...(args.platformsFile ? { platformsFile: args.platformsFile } : {}),
      ...(args.osVersion ? { version: args.osVersion } : {}),
      ...(args.oemSysext ? { oemSysext: args.oemSysext } : {}),
      overwrite: args.force,
      cwd: ctx.cwd,
      logger: ctx.logger,
      signal: ctx.signal,
      progress: createProgress({ stream: ctx.stderr, logger: ctx.logger }),
    });
  },
  print: (r: ToVmResult, ctx) => {
    for (const f of r.files) writeOut(ctx, f);
  },
});
