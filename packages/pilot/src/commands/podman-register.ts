import { defineCommand } from '@mantle/core/cli';
import { printRegistered } from './register-print.js';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot podman register --container IMAGE --app PATH ...` (flake-ctl podman register) */
export const podmanRegisterSpec = defineCommand({
  command: 'register',
  examples: [
    [
      '$0 podman register --container amazon/aws-cli --app /usr/bin/aws --target /',
      'aws on the host runs in the aws-cli container',
    ],
    [
      '$0 podman register --container joe --app /usr/bin/joe --resume --attach',
      'keep the container running and attach to it',
    ],
  ],
  describe: 'register an app that runs in a podman container',
  builder: (y) =>
    storeOptions(y)
      .option('container', {
        type: 'string',
        demandOption: true,
        describe: 'the image the app runs in (its name in podman storage)',
      })
      .option('app', {
        type: 'string',
        demandOption: true,
        describe: 'absolute path of the command on the host (a symlink to podman-pilot)',
      })
      .option('target', {
        type: 'string',
        describe: "the app's path in the container (default: --app); / runs the image's entry point",
      })
      .option('base', {
        type: 'string',
        describe: 'base image of a delta container: the container image is laid over it',
      })
      .option('layer', {
        type: 'string',
        array: true,
        describe: 'more images laid over the base, in order (repeatable; needs --base)',
      })
      .option('include-tar', {
        type: 'string',
        array: true,
        describe: 'host tar archive unpacked at / before the start (repeatable)',
      })
      .option('include-path', {
        type: 'string',
        array: true,
        describe: 'host file or directory copied to the same path before the start (repeatable)',
      })
      .option('resume', {
        type: 'boolean',
        describe: 'keep one container running; every call execs the app in it',
      })
      .option('attach', {
        type: 'boolean',
        describe: 'keep the container; a call attaches to it while it runs',
      })
      .conflicts('resume', 'attach')
      .option('opt', {
        type: 'string',
        array: true,
        describe:
          "podman create option with its value, one per --opt (--opt='--storage-opt size=10G'; a leading \\ is dropped: --opt '\\--rm')",
      })
      .option('run-as', {
        type: 'string',
        describe: 'user the engine runs as (default: you; root means sudo for other callers)',
      })
      .option('check-host-dependencies', {
        type: 'boolean',
        default: false,
        describe: "copy the host files the image's /removed lists into each instance",
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'replace an existing registration of the same name',
      }),
  run: async (args, ctx) => {
    const { registerContainer } = await import('../store/register.js');
    return registerContainer(await storeFor(args, ctx), {
      container: args.container,
      app: args.app,
      target: args.target,
      base: args.base,
      layers: args.layer,
      includeTar: args.includeTar,
      includePath: args.includePath,
      resume: args.resume === true,
      attach: args.attach === true,
      opts: args.opt,
      runAs: args.runAs,
      checkHostDependencies: args.checkHostDependencies,
      force: args.force,
    });
  },
  print: printRegistered,
});
