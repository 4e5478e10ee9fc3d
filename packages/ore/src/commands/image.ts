import type { CommandModule } from 'yargs';
import { defineCommand, writeOut, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
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
      y
        .command(bind(imageInfoCommand))
        .command(bind(imageCreateLayoutCommand))
        .command(bind(imageConvertCommand))
        .command(bind(imageToVmCommand))
        .demandCommand(1, 'ore image: a subcommand is required'),
    handler: () => {},
  };
}
