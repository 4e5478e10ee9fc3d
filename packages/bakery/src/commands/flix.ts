import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { FlixResult } from '../flix/flix.js';
import { rootfsSysextFlags, rootfsSysextOptions } from './rootfs-sysext-flags.js';

/** `bakery flix ROOTFS NAME PATH...`: binaries of a foreign root filesystem, relocated with patchelf. */
export const flixSpec = defineCommand({
  command: 'flix <rootfs> <name> <paths..>',
  examples: [
    [
      '$0 flix ./rootfs htop /usr/bin/htop',
      'a sysext of htop with the libraries it needs from the root filesystem',
    ],
  ],
  describe:
    'make a sysext from binaries of a root filesystem, each with its own loader and libraries under /usr/local/NAME (patchelf)',
  builder: (y) =>
    rootfsSysextFlags(y, '/usr/... paths, or CHROOT:TARGET (e.g. /bin/tool:/usr/bin/tool)').option(
      'extra-lib',
      {
        type: 'string',
        array: true,
        describe: 'libraries loaded with dlopen (rootfs paths)',
      },
    ),
  run: async (a, ctx) => {
    const { flix } = await import('../flix/flix.js');
    const r = await flix({
      ...rootfsSysextOptions(a, ctx),
      ...(a.extraLib ? { extraLibs: a.extraLib } : {}),
    });
    for (const w of r.warnings) ctx.logger.warn(w);
    return r;
  },
  print: (r: FlixResult, ctx: CommandContext) => {
    writeOut(ctx, r.path);
    for (const b of r.binaries)
      writeOut(
        ctx,
        `  ${b.path}: loader ${b.interpreter}, ${b.libraries.length} libraries in /usr/local/${r.name}`,
      );
  },
});
