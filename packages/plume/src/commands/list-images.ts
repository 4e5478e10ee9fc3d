import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { StoredImage } from '../images/list-images.js';
import { storeFlags, withStore } from './flags.js';

/** `plume list-images DEST [--json]`: what an OS image store holds. */
export const listImagesSpec = defineCommand({
  command: 'list-images <dest>',
  examples: [['$0 list-images s3://images --os debian --json', 'the Debian images of the store']],
  describe: 'list the OS images of an image store (root, os, version, size, md5)',
  builder: (y) =>
    storeFlags(
      y
        .positional('dest', { type: 'string', demandOption: true, describe: 'the image store URL' })
        .option('os', { type: 'string', describe: 'only this OS' })
        .option('root', {
          type: 'string',
          describe: 'only this store root (stable, YYYYMMDD, pull_requests/NAME)',
        }),
    ),
  run: async (a, ctx) => {
    const { listImages } = await import('../images/list-images.js');
    return withStore(a.dest, a, ctx, async (store) =>
      (await listImages(store)).filter(
        (i) => (a.os === undefined || i.os === a.os) && (a.root === undefined || i.root === a.root),
      ),
    );
  },
  print: (rows: StoredImage[], ctx: CommandContext) => {
    if (rows.length === 0) return writeOut(ctx, '(no images)');
    const w = Math.max(...rows.map((r) => r.id.length), 2);
    const wr = Math.max(...rows.map((r) => r.root.length), 4);
    writeOut(ctx, `${'ID'.padEnd(w)}  ${'ROOT'.padEnd(wr)}  ${'SIZE'.padStart(12)}  MD5`);
    for (const r of rows)
      writeOut(
        ctx,
        `${r.id.padEnd(w)}  ${r.root.padEnd(wr)}  ${String(r.bytes).padStart(12)}  ${r.md5 ?? '(no checksum)'}`,
      );
  },
});
