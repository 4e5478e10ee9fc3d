import { defineCommand } from '@mantle/core/cli';
import { printRegistered } from './register-print.js';
import { storeFor, storeOptions } from './store-options.js';

/** `pilot vm register --vm N --app PATH ...` (flake-ctl firecracker register) */
export const vmRegisterSpec = defineCommand({
  command: 'register',
  examples: [
    [
      '$0 vm register --vm leap --app /usr/bin/mybash --target /bin/bash',
      'mybash on the host runs bash in the leap micro-VM',
    ],
  ],
  describe: 'register an app that runs in a micro-VM',
  builder: (y) =>
    storeOptions(y)
      .option('vm', {
        type: 'string',
        demandOption: true,
        describe: 'the image name given to vm pull --name',
      })
      .option('app', {
        type: 'string',
        demandOption: true,
        describe: 'absolute path of the command on the host (a symlink to vm-pilot)',
      })
      .option('target', { type: 'string', describe: "the app's path in the VM (default: --app)" })
      .option('run-as', { type: 'string', describe: 'user the hypervisor runs as (default: you)' })
      .option('overlay-size', {
        type: 'string',
        describe: 'write space for the VM, e.g. 20GiB (KiB/MiB/GiB/TiB or KB/MB/GB/TB)',
      })
      .option('net', {
        type: 'boolean',
        default: true,
        describe: 'user-mode network in the VM (--no-net: none)',
      })
      .option('resume', {
        type: 'boolean',
        default: false,
        describe: 'keep the VM running; later calls run in it',
      })
      .option('force-vsock', {
        type: 'boolean',
        default: false,
        describe: "flake-pilot's vsock channel (kept in the flake for firecracker)",
      })
      .option('include-tar', {
        type: 'string',
        array: true,
        describe: 'host tar archive unpacked into the VM before the app (needs --overlay-size)',
      })
      .option('include-path', {
        type: 'string',
        array: true,
        describe: 'host path copied into the VM before the app (needs --overlay-size)',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'replace an existing registration of the same name',
      }),
  run: async (args, ctx) => {
    const { registerVm } = await import('../store/register.js');
    return registerVm(await storeFor(args, ctx), {
      vm: args.vm,
      app: args.app,
      target: args.target,
      runAs: args.runAs,
      overlaySize: args.overlaySize,
      noNet: !args.net,
      resume: args.resume,
      forceVsock: args.forceVsock,
      includeTar: args.includeTar,
      includePath: args.includePath,
      force: args.force,
    });
  },
  print: printRegistered,
});
