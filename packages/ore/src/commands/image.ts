import type { CommandModule } from 'yargs';
import { defineCommand, withExamples, writeOut, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
import {
  formatImageCreateLayout,
  imageCreateLayout,
  type ImageCreateLayoutResult,
} from './image-create-layout.js';
import { imageConvertCommand } from './image-convert.js';
import { formatImageInfo, imageInfo, type ImageInfo } from './image-info.js';
import { imageToVmCommand } from './image-to-vm.js';

/** `ore image info FILE` */
export const imageInfoCommand = defineCommand({
  command: 'info <file>',
  examples: [
    ['$0 image info flatcar_production_qemu_image.img', 'format, size, partitions and USR A/B state'],
    ['$0 image info flatcar_production_qemu_image.img.bz2 --json', 'of a compressed image, as JSON'],
  ],
  describe: 'show format, compression, virtual size, GPT (as sfdisk -d) and USR A/B state of an image',
  builder: (y) =>
    y.positional('file', {
      type: 'string',
      demandOption: true,
      describe: 'image file (raw, qcow2, vhd, vmdk; optionally compressed)',
    }),
  run: (args, ctx) => imageInfo({ file: args.file, cwd: ctx.cwd, logger: ctx.logger, signal: ctx.signal }),
  print: (data: ImageInfo, ctx) => writeOut(ctx, formatImageInfo(data)),
});

/** `ore image create-layout --layout flatcar|vm|FILE.json OUT [--size 8G]` */
export const imageCreateLayoutCommand = defineCommand({
  command: 'create-layout <out>',
  examples: [
    ['$0 image create-layout disk.img', 'an empty disk with the Flatcar partition layout'],
    [
      '$0 image create-layout --layout disk_layout.json --layout-name vm --size 8G disk.img',
      "the SDK's disk_layout.json, its vm layout",
    ],
  ],
  describe: 'create a sparse raw image with a disk layout (Flatcar base/vm or a disk_layout.json)',
  builder: (y) =>
    y
      .positional('out', { type: 'string', demandOption: true, describe: 'image file to create' })
      .option('layout', {
        type: 'string',
        default: 'flatcar',
        describe: 'flatcar, vm, or a disk_layout.json file',
      })
      .option('layout-name', { type: 'string', describe: 'which layout of the file (default: base)' })
      .option('size', { type: 'string', describe: 'disk size, e.g. 8G (default: the layout size)' })
      .option('force', { type: 'boolean', default: false, describe: 'replace OUT if it exists' }),
  run: (args, ctx) =>
    imageCreateLayout({
      layout: args.layout,
      ...(args.layoutName ? { layoutName: args.layoutName } : {}),
      out: args.out,
      ...(args.size !== undefined ? { size: args.size } : {}),
      overwrite: args.force,
      cwd: ctx.cwd,
      logger: ctx.logger,
    }),
  print: (data: ImageCreateLayoutResult, ctx) => writeOut(ctx, formatImageCreateLayout(data)),
});

/** The `ore image` command group. */
export function imageCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'image',
    describe: 'inspect, create and convert disk images',
    builder: (y) =>
      withExamples(y, [
        ['$0 image info flatcar_production_qemu_image.img', 'inspect an image'],
        ['$0 image to-vm flatcar_production_image.bin -p qemu --out-dir out', 'what image_to_vm.sh does'],
      ])
        .command(bind(imageInfoCommand))
        .command(bind(imageCreateLayoutCommand))
        .command(bind(imageConvertCommand))
        .command(bind(imageToVmCommand))
        .demandCommand(1, 'ore image: a subcommand is required'),
    handler: () => {},
  };
}
