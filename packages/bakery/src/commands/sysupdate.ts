import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { WriteTransferResult } from '../sysupdate/write-transfer.js';

/** `bakery sysupdate NAME --base-url URL`: write the transfer file (and the noop one). */
export const sysupdateSpec = defineCommand({
  command: 'sysupdate <name>',
  examples: [
    [
      '$0 sysupdate docker --base-url https://extensions.flatcar.org/extensions',
      'a docker.conf for systemd-sysupdate',
    ],
  ],
  describe: 'write the systemd-sysupdate transfer file for an extension (and noop.conf)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'extension name' })
      .option('base-url', {
        type: 'string',
        demandOption: true,
        describe: 'where SHA256SUMS and NAME-VERSION-ARCH.raw files are served',
      })
      .option('match-pattern', { type: 'string', describe: 'file pattern (default NAME-@v-%a.raw)' })
      .option('suffix', {
        type: 'string',
        default: 'conf',
        describe: 'conf (systemd < 257, Flatcar) or transfer',
      })
      .option('out', { type: 'string', default: '.', describe: 'output directory' })
      .option('verify', {
        type: 'boolean',
        default: false,
        describe: 'Verify=true: require SHA256SUMS.gpg (see publish --sign-key)',
      })
      .option('instances-max', {
        type: 'number',
        default: 3,
        describe: 'versions kept in /opt/extensions/NAME',
      })
      .option('noop', {
        type: 'boolean',
        default: true,
        describe: 'also write noop.SUFFIX for /etc/sysupdate.d (--no-noop to skip)',
      }),
  run: async (a, ctx) => {
    const { writeTransferFiles } = await import('../sysupdate/write-transfer.js');
    return writeTransferFiles({
      name: a.name,
      baseUrl: a.baseUrl,
      ...(a.matchPattern !== undefined ? { matchPattern: a.matchPattern } : {}),
      suffix: a.suffix,
      outDir: a.out,
      verify: a.verify,
      instancesMax: a.instancesMax,
      noop: a.noop,
      cwd: ctx.cwd,
    });
  },
  print: (r: WriteTransferResult, ctx: CommandContext) => {
    for (const f of r.files) writeOut(ctx, `${f.path}  (install as ${f.installTo})`);
  },
});
