import type { CommandContext } from '@mantle/core/cli';
import type { Argv } from 'yargs';

// The flags flix and flatwrap share: both turn paths of a root filesystem into a sysext, so
// they take the same positionals and the same image options as `bakery create`.

/** The parsed shared flags. */
export interface RootfsSysextArgs {
  rootfs: string;
  name: string;
  paths: string[];
  version?: string | undefined;
  arch?: string | undefined;
  os?: string | undefined;
  format: string;
  upholds?: string[] | undefined;
  out: string;
  force: boolean;
}

/** ROOTFS NAME PATH... and --version/--arch/--os/--format/--upholds/--out. */
export function rootfsSysextFlags<T>(y: Argv<T>, pathsHelp: string): Argv<T & RootfsSysextArgs> {
  return y
    .version(false)
    .positional('rootfs', {
      type: 'string',
      demandOption: true,
      describe: 'the root filesystem (unpacked container image, chroot)',
    })
    .positional('name', { type: 'string', demandOption: true, describe: 'extension name' })
    .positional('paths', { type: 'string', array: true, demandOption: true, describe: pathsHelp })
    .option('version', { type: 'string', describe: 'version in the file name' })
    .option('arch', { type: 'string', describe: 'x86-64 (default) or arm64' })
    .option('os', { type: 'string', describe: 'os-release ID or _any (default)' })
    .option('format', { type: 'string', default: 'squashfs', describe: 'squashfs, erofs, ext4 or btrfs' })
    .option('upholds', { type: 'string', array: true, describe: 'units to start (UNIT or TARGET:UNIT)' })
    .option('out', { type: 'string', default: '.', describe: 'output directory' })
    .option('force', {
      type: 'boolean',
      default: false,
      describe: 'replace an image of the same name, version and architecture in --out',
    });
}

/** The shared flags as the options of flix()/flatwrap(), with the command's context. */
export function rootfsSysextOptions(a: RootfsSysextArgs, ctx: CommandContext) {
  return {
    rootfs: a.rootfs,
    name: a.name,
    paths: a.paths,
    ...(a.version !== undefined ? { version: String(a.version) } : {}),
    ...(a.arch !== undefined ? { arch: a.arch } : {}),
    ...(a.os !== undefined ? { os: a.os } : {}),
    format: a.format,
    ...(a.upholds ? { upholds: a.upholds } : {}),
    outDir: a.out,
    force: a.force,
    cwd: ctx.cwd,
    env: ctx.env,
    logger: ctx.logger,
    signal: ctx.signal,
  };
}
