import { defineCommand, writeOut } from '@mantle/core/cli';
import { platformFlags, platformOptions } from './platform-flags.js';

/** `kola bootchart`: boot a machine and save systemd-analyze's plot and blame. */
export const bootchartSpec = defineCommand({
  command: 'bootchart',
  examples: [
    [
      '$0 bootchart -p qemu --qemu-image flatcar_production_qemu_image.img > bootchart.svg',
      'boot a machine and draw its boot as SVG',
    ],
  ],
  describe: 'boot a machine and save systemd-analyze plot (bootchart.svg) and blame (blame.txt)',
  builder: (y) => platformFlags(y),
  run: async (a, ctx) => {
    const [{ parseRunOptions }, { bootchartCommand }] = await Promise.all([
      import('../run/options.js'),
      import('../run/bootchart-command.js'),
    ]);
    return bootchartCommand(parseRunOptions(platformOptions(a)), ctx);
  },
  print: (data, ctx) => {
    if (data.summary) writeOut(ctx, data.summary);
    writeOut(ctx, `bootchart: ${data.bootchart}`);
    writeOut(ctx, `blame:     ${data.blame}`);
  },
});
