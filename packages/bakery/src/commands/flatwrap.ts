import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { FlatwrapResult } from '../flatwrap/flatwrap.js';
import { rootfsSysextFlags, rootfsSysextOptions } from './rootfs-sysext-flags.js';

/** `bakery flatwrap ROOTFS NAME PATH...`: a root filesystem under /usr/local/NAME with entry points into it. */
export const flatwrapSpec = defineCommand({
  command: 'flatwrap <rootfs> <name> <paths..>',
  examples: [
    [
      '$0 flatwrap ./rootfs htop /usr/bin/htop',
      'a sysext whose htop runs inside its own root filesystem with bwrap',
    ],
  ],
  describe:
    'make a sysext holding a root filesystem under /usr/local/NAME, with wrappers that run its programs inside it (bwrap or unshare)',
  builder: (y) =>
    rootfsSysextFlags(
      y,
      'paths inside the root filesystem: programs (wrapped, /usr/bin/X for bin and sbin), systemd units (Exec*= rewritten), resources (copied); or CHROOT:TARGET',
    )
      .option('wrapper', {
        type: 'string',
        default: 'auto',
        describe:
          'bwrap (any user, needs bubblewrap on the host), unshare (root only) or auto (unshare as root, else bwrap)',
      })
      .option('etc-map', {
        type: 'string',
        default: 'host',
        describe: '/etc from the host or the chroot (host, chroot)',
      })
      .option('var-map', {
        type: 'string',
        default: 'host',
        describe: '/var from the host or the chroot (host, chroot)',
      })
      .option('home-map', {
        type: 'string',
        default: 'host',
        describe: '/home from the host or the chroot (host, chroot)',
      })
      .option('allow-setuid', {
        type: 'boolean',
        default: false,
        describe: 'keep setuid/setgid files of the root filesystem',
      }),
  run: async (a, ctx) => {
    const { flatwrap } = await import('../flatwrap/flatwrap.js');
    const r = await flatwrap({
      ...rootfsSysextOptions(a, ctx),
      wrapper: a.wrapper,
      ...(a.etcMap !== undefined ? { etcMap: a.etcMap } : {}),
      ...(a.varMap !== undefined ? { varMap: a.varMap } : {}),
      ...(a.homeMap !== undefined ? { homeMap: a.homeMap } : {}),
      allowSetuid: a.allowSetuid === true,
    });
    for (const w of r.warnings) ctx.logger.warn(w);
    return r;
  },
  print: (r: FlatwrapResult, ctx: CommandContext) => {
    writeOut(ctx, r.path);
    for (const e of r.entries) {
      if (e.kind === 'wrapper')
        writeOut(ctx, `  ${e.target}: runs ${e.source} inside ${r.root} (${r.wrapper})`);
      else if (e.kind === 'unit')
        writeOut(
          ctx,
          `  ${e.target}: unit from ${e.source}, ${e.changes?.length ?? 0} Exec*= lines through the root filesystem`,
        );
      else writeOut(ctx, `  ${e.target}: copied from ${e.source}`);
    }
    writeOut(ctx, `  ${r.runner} COMMAND [ARG...]: runs any command of the root filesystem`);
    writeOut(
      ctx,
      `  /etc, /var, /home from: ${r.maps.etc}, ${r.maps.var}, ${r.maps.home}; the host needs ${r.hostNeeds.join(', ')}`,
    );
  },
});
