import { defineCommand, writeOut } from '@mantle/core/cli';
import { stringify } from 'yaml';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot show APP [--json]` */
export const showSpec = defineCommand({
  command: 'show <app>',
  examples: [['$0 show /usr/bin/aws', 'the flake of one app']],
  describe: 'show a flake as its launcher reads it: drop-ins merged, files, warnings, trust, its symlink',
  builder: (y) =>
    storeOptions(y).positional('app', {
      type: 'string',
      demandOption: true,
      describe: 'the app path or flake name',
    }),
  run: async (args, ctx) => {
    const { showFlake } = await import('../store/registry.js');
    return showFlake(await storeFor(args, ctx), args.app);
  },
  print: (r, ctx) => {
    writeOut(ctx, `# ${r.name} (${r.engine}) from ${r.files.join(', ')}`);
    writeOut(
      ctx,
      `# ${r.link.path} -> ${r.link.target ?? '(missing)'}${r.link.ok ? '' : '  (NOT a link to its launcher)'}`,
    );
    if (r.untrusted) writeOut(ctx, `# launchers refuse it: ${r.untrusted}`);
    for (const w of r.warnings) writeOut(ctx, `# warning: ${w}`);
    ctx.stdout.write(stringify(r.flake, { nullStr: '~', lineWidth: 0 }));
  },
});
