import { writeOut, type CommandContext, type CommandSpec } from '@mantle/core';
import type { FlixResult } from '../flix/flix.js';

interface FlixArgs {
  rootfs: string;
  name: string;
  paths: string[];
  version?: string | undefined;
  arch?: string | undefined;
  os?: string | undefined;
  out: string;
  extraLib?: string[] | undefined;
  upholds?: string[] | undefined;
  format: string;
}

/** `bakery flix ROOTFS NAME PATH...`: binaries of a foreign root filesystem, relocated with patchelf. */
export const flixSpec: CommandSpec<FlixArgs> = {
  command: 'flix <rootfs> <name> <paths..>',
  describe: 'make a sysext from binaries of a root filesystem, each with its own loader and libraries under /usr/local/NAME (patchelf)',
  builder: (y) =>
    y
      .version(false)
      .positional('rootfs', { type: 'string', demandOption: true, describe: 'the root filesystem (unpacked container image, chroot)' })
      .positional('name', { type: 'string', demandOption: true, describe: 'extension name' })
      .positional('paths', { type: 'string', array: true, demandOption: true, describe: '/usr/... paths, or CHROOT:TARGET (e.g. /bin/tool:/usr/bin/tool)' })
      .option('version', { type: 'string', describe: 'version in the file name' })
      .option('arch', { type: 'string', describe: 'x86-64 (default) or arm64' })
      .option('os', { type: 'string', describe: 'os-release ID or _any (default)' })
      .option('format', { type: 'string', default: 'squashfs', describe: 'squashfs, erofs, ext4 or btrfs' })
      .option('extra-lib', { type: 'string', array: true, describe: 'libraries loaded with dlopen (rootfs paths)' })
      .option('upholds', { type: 'string', array: true, describe: 'units to start (UNIT or TARGET:UNIT)' })
      .option('out', { type: 'string', default: '.', describe: 'output directory' }),
  run: async (args, ctx) => {
    const a = args as unknown as FlixArgs;
    const { flix } = await import('../flix/flix.js');
    const r = await flix({
      rootfs: a.rootfs,
      name: a.name,
      paths: a.paths,
      ...(a.version !== undefined ? { version: String(a.version) } : {}),
      ...(a.arch !== undefined ? { arch: a.arch } : {}),
      ...(a.os !== undefined ? { os: a.os } : {}),
      format: a.format,
      ...(a.extraLib ? { extraLibs: a.extraLib } : {}),
      ...(a.upholds ? { upholds: a.upholds } : {}),
      outDir: a.out,
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
      signal: ctx.signal,
    });
    for (const w of r.warnings) ctx.logger.warn(w);
    return r;
  },
  print: (r: FlixResult, ctx: CommandContext) => {
    writeOut(ctx, r.path);
    for (const b of r.binaries) writeOut(ctx, `  ${b.path}: loader ${b.interpreter}, ${b.libraries.length} libraries in /usr/local/${r.name}`);
  },
};
