import { defineCommand, writeOut } from '@mantle/core/cli';
import { OUTPUT_FORMATS, parseOutputFormat } from '../convert/formats.js';
import type { ConvertImageResult } from '../convert/convert-image.js';

/** `ore image convert IN --format raw|qcow2|vmdk|vhd|vhdx|gce [--out F]` */
export const imageConvertCommand = defineCommand({
  command: 'convert <input>',
  examples: [
    ['$0 image convert flatcar_production_qemu_image.img -f qcow2 -o flatcar.qcow2', 'raw to qcow2'],
    ['$0 image convert flatcar_production_image.bin.bz2 -f vhd', 'a compressed image to a fixed VHD (Azure)'],
  ],
  describe: 'convert a disk image (optionally compressed) to raw, qcow2, vmdk, vhd, vhdx or a GCE tarball',
  builder: (y) =>
    y
      .positional('input', {
        type: 'string',
        demandOption: true,
        describe: 'raw, qcow2, vmdk, vhd or vhdx image; gz/bz2/xz/zst/lz4 compressed ones too',
      })
      .option('format', {
        alias: 'f',
        type: 'string',
        demandOption: true,
        describe: `output format: ${OUTPUT_FORMATS.join(', ')}`,
      })
      .option('out', { alias: 'o', type: 'string', describe: 'output file (default: next to the input)' })
      .option('force', { type: 'boolean', default: false, describe: 'replace the output if it exists' }),
  run: async (args, ctx) => {
    const format = parseOutputFormat(args.format);
    const { convertImage } = await import('../convert/convert-image.js');
    const { createProgress } = await import('../convert/progress.js');
    return convertImage({
      input: args.input,
      format,
      ...(args.out ? { out: args.out } : {}),
      overwrite: args.force,
      cwd: ctx.cwd,
      logger: ctx.logger,
      signal: ctx.signal,
      progress: createProgress({ stream: ctx.stderr, logger: ctx.logger }),
    });
  },
  print: (r: ConvertImageResult, ctx) =>
    writeOut(
      ctx,
      `${r.output}: ${r.format}, ${r.virtualSize} bytes virtual, ${r.fileSize} bytes on disk` +
        `${r.dataBytes !== undefined ? `, ${r.dataBytes} bytes of data` : ''} (${r.seconds.toFixed(1)} s)`,
    ),
});
