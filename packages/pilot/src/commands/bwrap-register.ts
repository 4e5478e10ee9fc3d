import { defineCommand } from '@mantle/core/cli';
import { printRegistered } from './register-print.js';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot bwrap register --rootfs DIR|--image IMAGE --app PATH` */
export const bwrapRegisterSpec = defineCommand({
  command: 'register',
  examples: [
    [
      '$0 bwrap register --rootfs ./rootfs --name alpine --app /usr/bin/apk-shell --target /bin/sh',
      'a command that runs in an unpacked root filesystem',
    ],
  ],
  describe: 'register an app that runs unprivileged in a bubblewrap sandbox over a root filesystem',
  builder: (y) =>
    storeOptions(y)
      .option('rootfs', {
        type: 'string',
        describe: 'an unpacked root filesystem directory (absolute host path)',
      })
      .option('image', {
        type: 'string',
        describe:
          'or a container image to unpack into the store: NAME[:TAG] from a registry, docker://, oci:, oci-archive:, docker-archive:, containers-storage:',
      })
      .conflicts('rootfs', 'image')
      .option('name', {
        type: 'string',
        describe: 'name of the root filesystem (default: from --image or --rootfs)',
      })
      .option('app', {
        type: 'string',
        demandOption: true,
        describe: 'absolute path of the command on the host (a symlink to bwrap-pilot)',
      })
      .option('target', {
        type: 'string',
        describe: "the app's path in the root filesystem (default: --app)",
      })
      .option('run-as', {
        type: 'string',
        describe: 'user the sandbox runs as when root launches it (default: the caller)',
      })
      .option('network', {
        type: 'boolean',
        default: false,
        describe: "share the host's network (default: none)",
      })
      .option('include-path', {
        type: 'string',
        array: true,
        describe: 'host path made visible read-only at the same path (repeatable)',
      })
      .option('include-tar', {
        type: 'string',
        array: true,
        describe: 'host tar archive unpacked into each instance before it starts (repeatable)',
      })
      .option('resume', {
        type: 'boolean',
        default: false,
        describe: 'keep the sandbox after the first call; later calls run inside it',
      })
      .option('writable', {
        type: 'string',
        array: true,
        describe:
          'sandbox path given a fresh tmpfs, where bubblewrap (< 0.11) cannot lay an overlay over the root (repeatable)',
      })
      .option('tls-verify', {
        type: 'boolean',
        default: true,
        describe: 'require HTTPS with a valid certificate for --image (--no-tls-verify for a local registry)',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'replace an existing registration (and unpacked root filesystem) of the same name',
      }),
  run: async (args, ctx) => {
    const { registerBwrap } = await import('../store/register.js');
    return registerBwrap(
      await storeFor(args, ctx),
      {
        rootfs: args.rootfs,
        image: args.image,
        name: args.name,
        app: args.app,
        target: args.target,
        runAs: args.runAs,
        network: args.network,
        includePath: args.includePath,
        includeTar: args.includeTar,
        resume: args.resume,
        writable: args.writable,
        tlsVerify: args.tlsVerify,
        force: args.force,
      },
      { cwd: ctx.cwd, signal: ctx.signal },
    );
  },
  print: printRegistered,
});
