import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { BakeResult } from '../bake/bake-image.js';

/** `bakery bake IMAGE NAME:FILE.raw... [--to root|oem] [--sysupdate]`. */
export const bakeSpec = defineCommand({
  command: 'bake <image> <sysexts..>',
  examples: [
    [
      '$0 bake flatcar_production_image.bin docker-27.3.1-x86-64.raw --out baked.bin',
      'an OS image with the docker sysext in it (bake_flatcar_image.sh)',
    ],
    [
      '$0 bake flatcar_production_image.bin docker.raw --sysupdate docker.conf --out baked.bin',
      'with its systemd-sysupdate config',
    ],
  ],
  describe: 'put sysexts into an OS disk image (Flatcar layout) without root or loop devices',
  builder: (y) =>
    y
      .positional('image', {
        type: 'string',
        demandOption: true,
        describe: 'raw OS disk image; replaced atomically unless --out',
      })
      .positional('sysexts', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'NAME:FILE.raw (the host loads /etc/extensions/NAME.raw)',
      })
      .option('to', {
        type: 'string',
        default: 'root',
        describe: 'root: ROOT:/opt/extensions/NAME/; oem: OEM:/opt/extensions/NAME/ (seen as /oem/...)',
      })
      .option('sysupdate', {
        type: 'boolean',
        default: false,
        describe:
          'install NAME.conf/NAME.transfer from beside each FILE into /etc/sysupdate.NAME.d/, and noop.conf',
      })
      .option('out', { type: 'string', describe: 'write the baked image here and leave IMAGE as it is' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing --out file' }),
  run: async (a, ctx) => {
    const { bakeImage } = await import('../bake/bake-image.js');
    return bakeImage({
      image: a.image,
      sysexts: a.sysexts,
      to: a.to,
      sysupdate: a.sysupdate,
      ...(a.out !== undefined ? { out: a.out } : {}),
      force: a.force,
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
      signal: ctx.signal,
    });
  },
  print: (r: BakeResult, ctx: CommandContext) => {
    writeOut(ctx, `${r.image}: baked into ${r.partition} (${r.freeBytes} bytes free, e2fsck clean)`);
    for (const s of r.sysexts)
      writeOut(ctx, `  ${s.symlink} -> ${s.installedAt}${s.transfer ? `; ${s.transfer}` : ''}`);
    if (r.noop) writeOut(ctx, `  ${r.noop}`);
  },
});
